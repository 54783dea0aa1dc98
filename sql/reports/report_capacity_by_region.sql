-- Current compute and storage per account and region: instances, vCPUs, RAM, disks and their total size.
create or replace view report_capacity_by_region as
with storage as (
    select account_id, region, count(*) as disks, sum(size_in_gb) as storage_gb
    from current_disks
    group by all
),
compute as (
    select account_id, region, any_value(snapshot_date) as snapshot_date,
           count(*) as instances, sum(cpu_count) as vcpus, sum(ram_size_in_gb) as ram_gb
    from current_instances
    group by all
)
select c.account_id, c.region, c.snapshot_date, c.instances, c.vcpus, c.ram_gb,
       coalesce(s.disks, 0) as disks, coalesce(s.storage_gb, 0) as storage_gb
from compute as c
left join storage as s using (account_id, region)
order by c.account_id, c.region
