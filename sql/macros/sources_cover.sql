-- Whether the sources `outer` (a rule's CIDRs, IPv6 CIDRs and aliases) let in everything `inner` does: each
-- inner source is covered by one of them (see cidr_covers). No inner source at all is always covered.
create or replace macro sources_cover(outer_sources, inner_sources) as (
    select coalesce(bool_and(covered), true)
    from (
        select coalesce(bool_or(cidr_covers(o.source, i.source)), false) as covered
        from (select unnest(inner_sources) as source, generate_subscripts(inner_sources, 1) as position) as i
        left join (select unnest(outer_sources) as source) as o on true
        group by i.position
    )
)
