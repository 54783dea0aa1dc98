-- Instances of a complete snapshot paired with their previous readable row (same ARN): the rows whose details the
-- change views compare. That is the previous complete snapshot of the account and region, unless the instance was
-- quarantined there (its record could not be read): then the last snapshot that could read it, so a change made
-- while it was unreadable still shows (`previous_date` says which snapshot it is compared with). An instance that
-- was absent from a complete snapshot in between is not paired across the gap: instance_changes has it removed,
-- then added.
create or replace view instance_pairs as
with sightings as (  -- each complete snapshot an instance shows in, readable or quarantined
    select account_id, region, snapshot_date, arn, bool_or(readable) as readable,
           min(name) filter (where readable) as name
    from (
        select account_id, region, snapshot_date, arn, true as readable, name from instances
        union all
        select account_id, region, snapshot_date, instance_arn, false, null from quarantine where instance_arn is not null
    )
    group by all
),
streaks as (  -- a new streak starts when the instance was not in the account and region's previous complete snapshot
    select *, sum(case when seen_before = p.previous_date then 0 else 1 end)
        over (partition by account_id, region, arn order by snapshot_date) as streak
    from (
        select *, lag(snapshot_date) over (partition by account_id, region, arn order by snapshot_date) as seen_before
        from sightings
    )
    left join snapshot_pairs as p using (account_id, region, snapshot_date)
),
readable as (
    select account_id, region, snapshot_date, arn, name,
           lag(snapshot_date) over (partition by account_id, region, arn, streak order by snapshot_date) as previous_date
    from streaks
    where readable
)
select account_id, region, snapshot_date, previous_date, arn as instance_arn, name as instance_name
from readable
where previous_date is not null
