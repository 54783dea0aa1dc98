-- The latest complete snapshot of every (account, region): what the current_* views show.
create or replace view current_snapshots as
select account_id, region, max(snapshot_date) as snapshot_date
from snapshots
group by account_id, region
