-- Current instances without an enabled AutoSnapshot add-on; `auto_snapshot_status` is the add-on's status when it
-- exists (e.g. Disabled) and null when the instance has none.
create or replace view report_no_auto_snapshot as
with auto_snapshot as (
    select snapshot_date, account_id, region, instance_arn,
           bool_or(status = 'Enabled') as enabled, string_agg(status, ', ' order by add_on_index) as status
    from current_instance_add_ons
    where name = 'AutoSnapshot'
    group by all
)
select
    i.snapshot_date, i.account_id, i.region, i.name as instance_name, i.arn as instance_arn, i.state_name,
    a.status as auto_snapshot_status
from current_instances as i
left join auto_snapshot as a
    on a.snapshot_date = i.snapshot_date and a.account_id = i.account_id and a.region = i.region and a.instance_arn = i.arn
where not coalesce(a.enabled, false)
order by i.account_id, i.region, instance_name
