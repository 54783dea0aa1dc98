-- Rows of `instances` from the latest complete snapshot of each account and region.
create or replace view current_instances as
select t.*
from instances as t
join current_snapshots as c using (snapshot_date, account_id, region)
