-- Rows of `quarantine` from the latest complete snapshot of each account and region.
create or replace view current_quarantine as
select t.*
from quarantine as t
join current_snapshots as c using (snapshot_date, account_id, region)
