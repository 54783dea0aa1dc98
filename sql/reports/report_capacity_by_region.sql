-- Current compute and storage per account and region: instances, vCPUs, RAM, disks and their total size. Every
-- region with a current snapshot has a row, one whose snapshot is empty too (all zero).
create or replace view report_capacity_by_region as
with storage as (
    select account_id, region, count(*) as disks, sum(size_in_gb) as storage_gb
    from current_disks
    group by all
),
compute as (
    select account_id, region, count(*) as instances, sum(cpu_count) as vcpus, sum(ram_size_in_gb) as ram_gb
    from current_instances
    group by all
)
select s.account_id, s.region, s.snapshot_date, coalesce(c.instances, 0) as instances, coalesce(c.vcpus, 0) as vcpus,
       coalesce(c.ram_gb, 0) as ram_gb, coalesce(d.disks, 0) as disks, coalesce(d.storage_gb, 0) as storage_gb
from current_snapshots as s
left join compute as c using (account_id, region)
left join storage as d using (account_id, region)
order by s.account_id, s.region
