-- Rows of `instance_status_details` from the latest complete snapshot of each account and region.
create or replace view current_instance_status_details as
select t.*
from instance_status_details as t
join current_snapshots as c using (snapshot_date, account_id, region)
