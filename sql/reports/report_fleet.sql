-- Current instances counted by region, bundle, blueprint and state: one row per (account, dimension, value); every
-- region with a current snapshot has its row, an empty one too.
create or replace view report_fleet as
with fleet as (
    select
        account_id, region, bundle_id, blueprint_id, state_name,
        count(*) as instances, sum(cpu_count) as vcpus, sum(ram_size_in_gb) as ram_gb
    from current_instances
    group by all
)
select s.account_id, 'region' as dimension, s.region as value, coalesce(sum(f.instances), 0) as instances,
       coalesce(sum(f.vcpus), 0) as vcpus, coalesce(sum(f.ram_gb), 0) as ram_gb
from current_snapshots as s  -- a region whose current snapshot is empty counts 0
left join fleet as f using (account_id, region)
group by all
union all
select account_id, 'bundle', bundle_id, sum(instances), sum(vcpus), sum(ram_gb)
from fleet group by all
union all
select account_id, 'blueprint', blueprint_id, sum(instances), sum(vcpus), sum(ram_gb)
from fleet group by all
union all
select account_id, 'state', state_name, sum(instances), sum(vcpus), sum(ram_gb)
from fleet group by all
order by account_id, dimension, value
