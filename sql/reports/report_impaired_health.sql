-- Current instances whose instance or system health status is impaired, with the failed checks and since when.
-- A snapshot taken without health status (--no-health-status) does not clear it: each instance's status comes
-- from its latest snapshot that has one, named in `health_as_of` (the current snapshot's date, unless it had none).
create or replace view report_impaired_health as
with health_dates as (
    select c.snapshot_date, c.account_id, c.region, c.arn, max(h.snapshot_date) as health_as_of
    from current_instances as c
    join instances as h
        on h.account_id = c.account_id and h.region = c.region and h.arn = c.arn and h.snapshot_date <= c.snapshot_date
        and (h.instance_status is not null or h.system_status is not null)
    group by all
),
health as (
    select d.*, any_value(h.instance_status) as instance_status, any_value(h.system_status) as system_status
    from health_dates as d
    join instances as h
        on h.account_id = d.account_id and h.region = d.region and h.arn = d.arn and h.snapshot_date = d.health_as_of
    group by all
),
failed as (
    select snapshot_date, account_id, region, instance_arn, 'instance' as scope, name, impaired_since
    from instance_status_details
    where status = 'failed'
    union all
    select snapshot_date, account_id, region, instance_arn, 'system' as scope, name, impaired_since
    from system_status_details
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
    h.instance_status, h.system_status, coalesce(c.failed_checks, []::varchar[]) as failed_checks, c.impaired_since,
    h.health_as_of
from current_instances as i
join health as h
    on h.snapshot_date = i.snapshot_date and h.account_id = i.account_id and h.region = i.region and h.arn = i.arn
left join checks as c
    on c.snapshot_date = h.health_as_of and c.account_id = i.account_id and c.region = i.region and c.instance_arn = i.arn
where h.instance_status = 'impaired' or h.system_status = 'impaired'
order by i.account_id, i.region, instance_name
