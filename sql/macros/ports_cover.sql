-- Whether a firewall rule's protocol and port range (`outer_*`) include another's (`inner_*`): the same protocol
-- or 'all', and a range holding the other's. ICMP rules carry a type and a code instead of ports: one is covered
-- by a rule of the same protocol whose type and code match or are -1 (any), or by 'all' over 0-65535.
create or replace macro ports_cover(outer_protocol, outer_from, outer_to, inner_protocol, inner_from, inner_to) as
    coalesce(
        case
            when inner_protocol in ('icmp', 'icmpv6') then
                (outer_protocol = inner_protocol and outer_from in (inner_from, -1) and outer_to in (inner_to, -1))
                or (outer_protocol = 'all' and outer_from <= 0 and outer_to >= 65535)
            else outer_protocol in (inner_protocol, 'all') and outer_from <= inner_from and outer_to >= inner_to
        end,
        false)
