-- Instances added or removed between consecutive complete snapshots of each account and region (by ARN).
-- A quarantined record (it could not be read, see current_quarantine) still shows its instance exists: it is
-- neither removed that night nor added the night it is readable again; its name then comes from the raw record.
create or replace view instance_changes as
with present as (
    select account_id, region, snapshot_date, arn, name
    from instances
    union all
    select account_id, region, snapshot_date, instance_arn, any_value(json_extract_string(raw, '$.name'))
    from quarantine
    where instance_arn is not null
    group by all
),
cur as (
    select p.account_id, p.region, p.snapshot_date, p.previous_date, i.arn, any_value(i.name) as name
    from snapshot_pairs as p
    join present as i using (account_id, region, snapshot_date)
    group by all
),
prev as (
    select p.account_id, p.region, p.snapshot_date, p.previous_date, i.arn, any_value(i.name) as name
    from snapshot_pairs as p
    join present as i on i.account_id = p.account_id and i.region = p.region and i.snapshot_date = p.previous_date
    group by all
)
select account_id, region, snapshot_date, previous_date, 'added' as change, arn as instance_arn, name as instance_name
from cur
anti join prev using (account_id, region, snapshot_date, arn)
union all
select account_id, region, snapshot_date, previous_date, 'removed' as change, arn as instance_arn, name as instance_name
from prev
anti join cur using (account_id, region, snapshot_date, arn)
