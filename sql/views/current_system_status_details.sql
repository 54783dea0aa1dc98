-- Rows of `system_status_details` from the latest complete snapshot of each account and region.
create or replace view current_system_status_details as
select t.*
from system_status_details as t
join current_snapshots as c using (snapshot_date, account_id, region)
