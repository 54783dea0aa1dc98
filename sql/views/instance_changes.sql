-- Instances added or removed between consecutive complete snapshots of each account and region (by ARN).
create or replace view instance_changes as
with cur as (
    select p.account_id, p.region, p.snapshot_date, p.previous_date, i.arn, i.name
    from snapshot_pairs as p
    join instances as i using (account_id, region, snapshot_date)
),
prev as (
    select p.account_id, p.region, p.snapshot_date, p.previous_date, i.arn, i.name
    from snapshot_pairs as p
    join instances as i on i.account_id = p.account_id and i.region = p.region and i.snapshot_date = p.previous_date
)
select account_id, region, snapshot_date, previous_date, 'added' as change, arn as instance_arn, name as instance_name
from cur
anti join prev using (account_id, region, snapshot_date, arn)
union all
select account_id, region, snapshot_date, previous_date, 'removed' as change, arn as instance_arn, name as instance_name
from prev
anti join cur using (account_id, region, snapshot_date, arn)
