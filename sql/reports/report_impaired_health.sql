-- Current instances whose instance or system health status is impaired, with the failed checks and since when.
create or replace view report_impaired_health as
with failed as (
    select snapshot_date, account_id, region, instance_arn, 'instance' as scope, name, impaired_since
    from current_instance_status_details
    where status = 'failed'
    union all
    select snapshot_date, account_id, region, instance_arn, 'system' as scope, name, impaired_since
    from current_system_status_details
    where status = 'failed'
),
checks as (
    select snapshot_date, account_id, region, instance_arn,
           list(scope || ':' || name order by scope, name) as failed_checks, min(impaired_since) as impaired_since
    from failed
    group by all
)
select
    i.snapshot_date, i.account_id, i.region, i.name as instance_name, i.arn as instance_arn, i.state_name,
    i.instance_status, i.system_status, coalesce(c.failed_checks, []::varchar[]) as failed_checks, c.impaired_since
from current_instances as i
left join checks as c
    on c.snapshot_date = i.snapshot_date and c.account_id = i.account_id and c.region = i.region and c.instance_arn = i.arn
where i.instance_status = 'impaired' or i.system_status = 'impaired'
order by i.account_id, i.region, instance_name
