-- The addresses a firewall source covers, as {bits: 32 (IPv4) or 128 (IPv6), net: the address as a number, len:
-- the prefix length}; a single address is a /32 or /128. NULL for anything else: a CIDR list alias, text that is
-- not a CIDR, a prefix longer than the address. Used by cidr_covers.
create or replace macro cidr_range(source) as
    case
        when regexp_full_match(source, '((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)(/(3[0-2]|[12]?\d))?') then {
            'bits': 32,
            'net': ((regexp_extract(source, '^(\d+)\.(\d+)\.(\d+)\.(\d+)', 1)::uhugeint * 256
                     + regexp_extract(source, '^(\d+)\.(\d+)\.(\d+)\.(\d+)', 2)::uhugeint) * 256
                     + regexp_extract(source, '^(\d+)\.(\d+)\.(\d+)\.(\d+)', 3)::uhugeint) * 256
                     + regexp_extract(source, '^(\d+)\.(\d+)\.(\d+)\.(\d+)', 4)::uhugeint,
            'len': coalesce(nullif(regexp_extract(source, '/(\d+)$', 1), '')::int, 32)
        }
        when regexp_full_match(source, '[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(/(12[0-8]|1[01]\d|[1-9]?\d))?')
            and len(ipv6_groups(split_part(source, '/', 1))) = 8
            and list_bool_and(list_transform(ipv6_groups(split_part(source, '/', 1)), lambda g: length(g) between 1 and 4))
        then {
            'bits': 128,
            'net': list_reduce(list_transform(ipv6_groups(split_part(source, '/', 1)), lambda g: ('0x' || g)::uhugeint),
                               lambda a, b: a * 65536 + b),
            'len': coalesce(nullif(split_part(source, '/', 2), '')::int, 128)
        }
    end
