-- Whether firewall source `outer` lets in every address `inner` does: the same text (aliases only match
-- themselves), or a CIDR of the same family whose prefix contains the other's (0.0.0.0/0 covers every IPv4
-- source, ::/0 every IPv6 one, 10.0.0.0/8 covers 10.1.0.0/16).
create or replace macro cidr_covers(outer_source, inner_source) as
    outer_source = inner_source or coalesce(
        cidr_range(outer_source).bits = cidr_range(inner_source).bits
        and cidr_range(outer_source).len <= cidr_range(inner_source).len
        and (cidr_range(outer_source).len = 0
             or cidr_range(outer_source).net >> (cidr_range(outer_source).bits - cidr_range(outer_source).len)::uhugeint
                = cidr_range(inner_source).net >> (cidr_range(outer_source).bits - cidr_range(outer_source).len)::uhugeint),
        false)
