-- Firewall rules opened, closed, widened, narrowed or changed between consecutive complete snapshots of an instance.
-- A rule is known by direction, protocol and port range. The same rule with more sources (CIDRs or aliases) is
-- widened, with fewer narrowed, with some added and some removed changed; a closed rule replaced by one whose
-- range and sources cover it (e.g. tcp 80 -> tcp 80-90) is widened: into the narrowest such rule, the others
-- stay opened.
create or replace view firewall_rule_changes as
with rules_of as (
    select
        snapshot_date, account_id, region, instance_arn, access_direction, protocol, from_port, to_port,
        list_sort(list_distinct(flatten(list(sources)))) as sources, any_value(ports) as ports
    from firewall_rules
    group by all
),
described as (
    select *, access_direction || ' ' || ports || ' from ' || coalesce(nullif(array_to_string(sources, ', '), ''), 'nobody') as rule
    from rules_of
),
cur as (
    select p.previous_date, p.instance_name, r.*
    from instance_pairs as p
    join described as r using (account_id, region, snapshot_date, instance_arn)
),
prev as (
    select p.snapshot_date as next_date, p.instance_name, r.* exclude (snapshot_date), p.previous_date
    from instance_pairs as p
    join described as r
        on r.account_id = p.account_id and r.region = p.region and r.snapshot_date = p.previous_date
        and r.instance_arn = p.instance_arn
),
diff as (
    select
        coalesce(c.account_id, o.account_id) as account_id, coalesce(c.region, o.region) as region,
        coalesce(c.snapshot_date, o.next_date) as snapshot_date, coalesce(c.previous_date, o.previous_date) as previous_date,
        coalesce(c.instance_arn, o.instance_arn) as instance_arn, coalesce(c.instance_name, o.instance_name) as instance_name,
        coalesce(c.access_direction, o.access_direction) as access_direction, coalesce(c.protocol, o.protocol) as protocol,
        coalesce(c.from_port, o.from_port) as from_port, coalesce(c.to_port, o.to_port) as to_port,
        o.sources as old_sources, c.sources as new_sources, o.rule as old_value, c.rule as new_value,
        case
            when o.rule is null then 'opened'
            when c.rule is null then 'closed'
            when list_has_all(c.sources, o.sources) then 'widened'
            when list_has_all(o.sources, c.sources) then 'narrowed'
            else 'changed'
        end as change
    from cur as c
    full join prev as o
        on o.account_id = c.account_id and o.region = c.region and o.next_date = c.snapshot_date
        and o.instance_arn = c.instance_arn and o.access_direction = c.access_direction
        and o.protocol = c.protocol and o.from_port = c.from_port and o.to_port = c.to_port
    where o.sources is distinct from c.sources
),
range_widened as (
    select
        cl.account_id, cl.region, cl.snapshot_date, cl.previous_date, cl.instance_arn, cl.instance_name,
        cl.access_direction, cl.protocol, cl.from_port as old_from, cl.to_port as old_to,
        op.from_port as new_from, op.to_port as new_to, cl.old_value, op.new_value
    from diff as cl
    join diff as op using (account_id, region, snapshot_date, instance_arn, access_direction, protocol)
    where cl.change = 'closed' and op.change = 'opened' and cl.protocol not in ('icmp', 'icmpv6')
        and op.from_port <= cl.from_port and op.to_port >= cl.to_port
        and list_has_all(op.new_sources, cl.old_sources)
    qualify row_number() over (
        partition by cl.account_id, cl.region, cl.snapshot_date, cl.instance_arn, cl.access_direction, cl.protocol,
                     cl.from_port, cl.to_port
        order by op.to_port - op.from_port, op.from_port
    ) = 1
),
unpaired as (
    select d.*
    from diff as d
    anti join range_widened as w
        on d.change = 'closed' and w.account_id = d.account_id and w.region = d.region
        and w.snapshot_date = d.snapshot_date and w.instance_arn = d.instance_arn
        and w.access_direction = d.access_direction and w.protocol = d.protocol
        and w.old_from = d.from_port and w.old_to = d.to_port
    anti join range_widened as w2
        on d.change = 'opened' and w2.account_id = d.account_id and w2.region = d.region
        and w2.snapshot_date = d.snapshot_date and w2.instance_arn = d.instance_arn
        and w2.access_direction = d.access_direction and w2.protocol = d.protocol
        and w2.new_from = d.from_port and w2.new_to = d.to_port
)
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'firewall_rule' as field, change, old_value, new_value
from unpaired
union all
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'firewall_rule' as field, 'widened' as change, old_value, new_value
from range_widened
