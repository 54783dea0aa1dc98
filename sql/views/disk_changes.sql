-- Disks attached to or detached from an instance between consecutive complete snapshots.
-- A disk is known by its ARN; the system disk, which has none, by its path (or, without one, as the system disk).
create or replace view disk_changes as
with disks_of as (
    select
        snapshot_date, account_id, region, instance_arn,
        coalesce(arn, 'system disk ' || path, case when is_system_disk then 'system disk' end, 'disk ' || name,
                 'disk #' || disk_index) as disk_key,
        coalesce(name, 'system disk') || ' (' || size_in_gb || ' GB, ' || coalesce(path, '?') || ')' as disk
    from disks
),
cur as (
    select p.*, d.disk_key, d.disk
    from instance_pairs as p
    join disks_of as d using (account_id, region, snapshot_date, instance_arn)
),
prev as (
    select p.*, d.disk_key, d.disk
    from instance_pairs as p
    join disks_of as d
        on d.account_id = p.account_id and d.region = p.region and d.snapshot_date = p.previous_date
        and d.instance_arn = p.instance_arn
)
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'disk' as field, 'attached' as change, null::varchar as old_value, disk as new_value
from cur
anti join prev using (account_id, region, snapshot_date, instance_arn, disk_key)
union all
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'disk' as field, 'detached' as change, disk as old_value, null::varchar as new_value
from prev
anti join cur using (account_id, region, snapshot_date, instance_arn, disk_key)
