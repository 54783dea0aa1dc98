-- Regions whose extraction failed for a snapshot newer than their last good one: current_* views still show the
-- last good snapshot. `stale_since` is the first such failed snapshot date, `failing_since` the time of the first
-- failed attempt among them (a backfill of an older date attempted later does not move it).
-- A `skipped` region (no Lightsail there) is not a failure and never stale; nor is one in superseded_failures
-- (recorded under an account id a later good attempt corrected).
create or replace view report_stale_regions as
with last_good as (
    select account_id, region, max(snapshot_date) as last_good_snapshot, arg_max(loaded_at, snapshot_date) as last_good_loaded_at
    from snapshots
    group by all
),
failures as (
    select r.*, g.last_good_snapshot, g.last_good_loaded_at
    from extraction_runs as r
    left join last_good as g using (account_id, region)
    where r.status = 'failed' and (g.last_good_snapshot is null or r.snapshot_date > g.last_good_snapshot)
        and not exists (select 1 from superseded_failures as u where u.run_id = r.run_id
            and u.account_id = r.account_id and u.region = r.region)
)
select
    account_id, region,
    any_value(last_good_snapshot) as last_good_snapshot,
    any_value(last_good_loaded_at) as last_good_loaded_at,
    min(snapshot_date) as stale_since,
    min(started_at) as failing_since,
    max(snapshot_date) as latest_failed_snapshot,
    count(*) as failed_attempts,
    arg_max(error, started_at) as latest_error
from failures
group by account_id, region
order by account_id, region
