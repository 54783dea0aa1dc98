-- Current instances counted by region, bundle, blueprint and state: one row per (account, dimension, value).
create or replace view report_fleet as
with fleet as (
    select
        account_id, region, bundle_id, blueprint_id, state_name,
        count(*) as instances, sum(cpu_count) as vcpus, sum(ram_size_in_gb) as ram_gb
    from current_instances
    group by all
)
select account_id, 'region' as dimension, region as value, sum(instances) as instances, sum(vcpus) as vcpus, sum(ram_gb) as ram_gb
from fleet group by all
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
