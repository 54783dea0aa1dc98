-- Each complete snapshot of an (account, region) with the complete snapshot before it: what the change views compare.
-- A day whose extraction failed has no row in snapshots, so the next good day is compared with the last good one.
create or replace view snapshot_pairs as
select
    account_id, region, snapshot_date,
    lag(snapshot_date) over (partition by account_id, region order by snapshot_date) as previous_date
from snapshots
qualify previous_date is not null
