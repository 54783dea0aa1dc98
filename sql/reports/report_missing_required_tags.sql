-- Current instances lacking one or more of the tag keys listed in required_tag_keys (compared case-insensitively).
create or replace view report_missing_required_tags as
with present as (
    select snapshot_date, account_id, region, instance_arn, list(distinct lower(key)) as keys
    from current_instance_tags
    group by all
),
required as (
    select list(distinct lower(key) order by lower(key)) as keys from required_tag_keys
)
select
    i.snapshot_date, i.account_id, i.region, i.name as instance_name, i.arn as instance_arn,
    list_filter(r.keys, lambda k: not list_contains(coalesce(p.keys, []::varchar[]), k)) as missing_keys
from current_instances as i
cross join required as r
left join present as p
    on p.snapshot_date = i.snapshot_date and p.account_id = i.account_id and p.region = i.region and p.instance_arn = i.arn
where len(list_filter(r.keys, lambda k: not list_contains(coalesce(p.keys, []::varchar[]), k))) > 0
order by i.account_id, i.region, instance_name
