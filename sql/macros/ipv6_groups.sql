-- The eight 16-bit groups of an IPv6 address (the part of a CIDR before '/'), '::' expanded into zero groups;
-- a list of another length when the text is not such an address. Used by cidr_range.
create or replace macro ipv6_groups(address) as
    case
        when address like '%::%::%' or address like '%:::%' then []::varchar[]
        when address like '%::%' and len(list_filter(string_split(replace(address, '::', ':'), ':'), lambda g: g <> '')) > 7
            then []::varchar[]  -- '::' stands for at least one zero group
        when address like '%::%' then
            list_filter(string_split(split_part(address, '::', 1), ':'), lambda g: g <> '')
            || list_transform(
                range(greatest(0, 8
                    - len(list_filter(string_split(split_part(address, '::', 1), ':'), lambda g: g <> ''))
                    - len(list_filter(string_split(split_part(address, '::', 2), ':'), lambda g: g <> '')))),
                lambda z: '0')
            || list_filter(string_split(split_part(address, '::', 2), ':'), lambda g: g <> '')
        else string_split(address, ':')
    end
