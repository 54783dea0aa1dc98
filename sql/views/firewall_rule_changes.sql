-- Firewall rules opened, closed, widened, narrowed or changed between an instance's snapshot and its previous one
-- (instance_pairs). A rule is known by direction, protocol and port range. The same rule whose sources (CIDRs,
-- IPv6 CIDRs, aliases) now let in more addresses is widened (tcp 22 from 203.0.113.5/32 -> from 0.0.0.0/0, or a
-- CIDR added), fewer narrowed, neither or both changed; coverage is by address (sources_cover), aliases only
-- match themselves. A closed rule replaced by one whose protocol, range and sources cover it (tcp 80 -> tcp 80-90,
-- tcp 3389 -> all 0-65535) is widened into the narrowest such rule; an opened rule that a closed one covered
-- (all 0-65535 from 0.0.0.0/0 -> tcp 22 from 0.0.0.0/0) is narrowed from the narrowest such rule. A closed rule
-- another old rule covered is not widened, nor an opened rule another new one covers narrowed (tcp 22 + tcp
-- 0-65535 -> tcp 0-1024 is 0-65535 narrowed, 22 closed). Whatever is left over is opened or closed.
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
        case when o.instance_arn is null then 'opened' when c.instance_arn is null then 'closed' else 'modified' end as change
    from cur as c
    full join prev as o
        on o.account_id = c.account_id and o.region = c.region and o.next_date = c.snapshot_date
        and o.instance_arn = c.instance_arn and o.access_direction is not distinct from c.access_direction
        and o.protocol is not distinct from c.protocol and o.from_port is not distinct from c.from_port
        and o.to_port is not distinct from c.to_port
    where o.sources is distinct from c.sources
),
modified as (  -- the address comparison is costly: only on the rules whose sources differ
    select
        * exclude (change),
        case
            when sources_cover(new_sources, old_sources) then 'widened'
            when sources_cover(old_sources, new_sources) then 'narrowed'
            else 'changed'
        end as change
    from diff
    where change = 'modified'  -- the same addresses written otherwise (2001:DB8::/32, 2001:db8::/32) are no change
        and not (sources_cover(new_sources, old_sources) and sources_cover(old_sources, new_sources))
),
sides as (  -- every rule of a compared pair of snapshots: the old ones (on the later date) and the new ones
    select 'closed' as side, account_id, region, next_date as snapshot_date, instance_arn, access_direction,
           protocol, from_port, to_port, sources
    from prev
    union all
    select 'opened', account_id, region, snapshot_date, instance_arn, access_direction, protocol, from_port, to_port, sources
    from cur
),
ended as (  -- `subsumed`: another rule of the same side covered it, so closing (opening) it alone shut (let in) nothing
    select d.*, exists (
        select 1 from sides as r
        where r.side = d.change and r.account_id = d.account_id and r.region = d.region
            and r.snapshot_date = d.snapshot_date and r.instance_arn = d.instance_arn
            and r.access_direction = d.access_direction
            and not (r.protocol is not distinct from d.protocol and r.from_port is not distinct from d.from_port
                     and r.to_port is not distinct from d.to_port)
            and ports_cover(r.protocol, r.from_port, r.to_port, d.protocol, d.from_port, d.to_port)
            and sources_cover(r.sources, coalesce(d.old_sources, d.new_sources))
    ) as subsumed
    from diff as d
    where d.change in ('closed', 'opened')
),
closed as (select * from ended where change = 'closed'),
opened as (select * from ended where change = 'opened'),
range_widened as (
    select
        cl.account_id, cl.region, cl.snapshot_date, cl.previous_date, cl.instance_arn, cl.instance_name,
        cl.access_direction, cl.protocol as old_protocol, cl.from_port as old_from, cl.to_port as old_to,
        op.protocol as new_protocol, op.from_port as new_from, op.to_port as new_to, cl.old_value, op.new_value
    from closed as cl
    join opened as op using (account_id, region, snapshot_date, instance_arn, access_direction)
    where not cl.subsumed
        and ports_cover(op.protocol, op.from_port, op.to_port, cl.protocol, cl.from_port, cl.to_port)
        and sources_cover(op.new_sources, cl.old_sources)
    qualify row_number() over (
        partition by cl.account_id, cl.region, cl.snapshot_date, cl.instance_arn, cl.access_direction, cl.protocol,
                     cl.from_port, cl.to_port
        order by op.protocol = 'all', op.to_port - op.from_port, op.from_port, op.protocol
    ) = 1
),
range_narrowed as (  -- among the opened rules no closed one was widened into, and the closed rules not widened
    select
        cl.account_id, cl.region, cl.snapshot_date, cl.previous_date, cl.instance_arn, cl.instance_name,
        cl.access_direction, cl.protocol as old_protocol, cl.from_port as old_from, cl.to_port as old_to,
        op.protocol as new_protocol, op.from_port as new_from, op.to_port as new_to, cl.old_value, op.new_value
    from opened as op
    join closed as cl using (account_id, region, snapshot_date, instance_arn, access_direction)
    where not op.subsumed
        and ports_cover(cl.protocol, cl.from_port, cl.to_port, op.protocol, op.from_port, op.to_port)
        and sources_cover(cl.old_sources, op.new_sources)
        and not exists (
            select 1 from range_widened as w
            where w.account_id = op.account_id and w.region = op.region and w.snapshot_date = op.snapshot_date
                and w.instance_arn = op.instance_arn and w.access_direction = op.access_direction
                and w.new_protocol is not distinct from op.protocol and w.new_from is not distinct from op.from_port
                and w.new_to is not distinct from op.to_port
        )
        and not exists (
            select 1 from range_widened as w
            where w.account_id = cl.account_id and w.region = cl.region and w.snapshot_date = cl.snapshot_date
                and w.instance_arn = cl.instance_arn and w.access_direction = cl.access_direction
                and w.old_protocol is not distinct from cl.protocol and w.old_from is not distinct from cl.from_port
                and w.old_to is not distinct from cl.to_port
        )
    qualify row_number() over (
        partition by op.account_id, op.region, op.snapshot_date, op.instance_arn, op.access_direction, op.protocol,
                     op.from_port, op.to_port
        order by cl.protocol = 'all', cl.to_port - cl.from_port, cl.from_port, cl.protocol
    ) = 1
),
paired as (
    select *, 'widened' as change from range_widened
    union all
    select *, 'narrowed' as change from range_narrowed
),
unpaired as (
    select d.*
    from diff as d
    where d.change in ('opened', 'closed') and not exists (
        select 1 from paired as w
        where w.account_id = d.account_id and w.region = d.region and w.snapshot_date = d.snapshot_date
            and w.instance_arn = d.instance_arn and w.access_direction = d.access_direction
            and (
                (d.change = 'closed' and w.old_protocol is not distinct from d.protocol
                 and w.old_from is not distinct from d.from_port and w.old_to is not distinct from d.to_port)
                or (d.change = 'opened' and w.new_protocol is not distinct from d.protocol
                    and w.new_from is not distinct from d.from_port and w.new_to is not distinct from d.to_port)
            )
    )
)
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'firewall_rule' as field, change, old_value, new_value
from unpaired
union all
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'firewall_rule' as field, change, old_value, new_value
from modified
union all
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       'firewall_rule' as field, change, old_value, new_value
from paired
