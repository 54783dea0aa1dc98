"""Change views and reports on the edge cases that would mislead a reader: quarantined nights, nights without
health status, sources that widen by address, rules or disks missing fields, empty regions, duplicate tag keys."""

import copy
import datetime as dt

import pytest

from tests.warehouse_helpers import instance, load_records, port, query

D1, D2, D3 = dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)
UTC = dt.timezone.utc


@pytest.fixture
def wh(tmp_path):
    return tmp_path / "w.duckdb", tmp_path / "data"


def _unreadable(record):
    """The same record with a value the schema refuses: it is quarantined, not loaded."""
    record = copy.deepcopy(record)
    record["hardware"]["cpuCount"] = "two"
    return record


def _firewall_changes(db):
    return query(db, "select snapshot_date, previous_date, instance_name, change, old_value, new_value "
                     "from instance_field_changes where field = 'firewall_rule' order by all")


def test_a_quarantined_night_is_neither_a_removal_nor_a_gap_that_hides_changes(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("q1", ports=[port(22, cidrs=["10.0.0.0/8"])]), instance("gone")]})
    load_records(db, root, D2, {"us-east-1": [_unreadable(instance("q1")), _unreadable(instance("gone")),
                                              _unreadable(instance("new-bad"))]})
    load_records(db, root, D3, {"us-east-1": [instance("q1", ports=[port(22, cidrs=["0.0.0.0/0"])]), instance("new-bad")]})
    assert query(db, "select snapshot_date, count(*) from quarantine group by all") == [(D2, 3)]
    # gone: unreadable on D2, absent on D3 -> removed on D3; new-bad first seen (unreadable) on D2 -> added on D2
    assert query(db, "select snapshot_date, previous_date, change, instance_name from instance_changes order by all") == [
        (D2, D1, "added", "new-bad"), (D3, D2, "removed", "gone"),
    ]
    # q1's SSH was opened to the world while its record could not be read: compared with D1, its last readable night
    assert _firewall_changes(db) == [
        (D3, D1, "q1", "widened", "inbound tcp 22 from 10.0.0.0/8", "inbound tcp 22 from 0.0.0.0/0"),
    ]
    assert query(db, "select snapshot_date, previous_date, instance_name from instance_pairs order by all") == [
        (D3, D1, "q1"),
    ]


def test_sources_are_compared_by_the_addresses_they_let_in(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [
        instance("to-world", ports=[port(22, cidrs=["203.0.113.5/32"])]),
        instance("from-world", ports=[port(22)]),
        instance("v6", ports=[port(443, cidrs=[], ipv6=["2001:db8::/32"])]),
        instance("subnet", ports=[port(5432, cidrs=["10.0.0.0/8"])]),
        instance("alias", ports=[port(22, cidrs=[], aliases=["lightsail-connect"])]),
        instance("sideways", ports=[port(22, cidrs=["10.0.0.0/8"])]),
    ]})
    load_records(db, root, D2, {"us-east-1": [
        instance("to-world", ports=[port(22, cidrs=["0.0.0.0/0"])]),
        instance("from-world", ports=[port(22, cidrs=["203.0.113.5"])]),
        instance("v6", ports=[port(443, cidrs=[], ipv6=["::/0"])]),
        instance("subnet", ports=[port(5432, cidrs=["10.1.0.0/16", "10.2.0.0/16"])]),
        instance("alias", ports=[port(22, cidrs=["10.0.0.0/8"])]),
        instance("sideways", ports=[port(22, cidrs=["192.168.0.0/16"])]),
    ]})
    assert [(name, change) for _, _, name, change, _, _ in _firewall_changes(db)] == [
        ("alias", "changed"), ("from-world", "narrowed"), ("sideways", "changed"), ("subnet", "narrowed"),
        ("to-world", "widened"), ("v6", "widened"),
    ]


def test_a_rule_replaced_by_another_protocol_or_range_is_widened_or_narrowed_by_coverage(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [
        instance("all-to-ssh", ports=[port(0, 65535, "all")]),
        instance("rdp-to-all", ports=[port(3389, cidrs=["10.0.0.0/8"])]),
        instance("split", ports=[port(0, 65535, "all")]),
        instance("unrelated", ports=[port(80, cidrs=["10.0.0.0/8"])]),
    ]})
    load_records(db, root, D2, {"us-east-1": [
        instance("all-to-ssh", ports=[port(22)]),
        instance("rdp-to-all", ports=[port(0, 65535, "all")]),
        instance("split", ports=[port(22), port(443)]),
        instance("unrelated", ports=[port(443, cidrs=["10.0.0.0/8"])]),
    ]})
    assert [row[2:] for row in _firewall_changes(db)] == [
        ("all-to-ssh", "narrowed", "inbound all 0-65535 from 0.0.0.0/0", "inbound tcp 22 from 0.0.0.0/0"),
        ("rdp-to-all", "widened", "inbound tcp 3389 from 10.0.0.0/8", "inbound all 0-65535 from 0.0.0.0/0"),
        ("split", "narrowed", "inbound all 0-65535 from 0.0.0.0/0", "inbound tcp 22 from 0.0.0.0/0"),
        ("split", "narrowed", "inbound all 0-65535 from 0.0.0.0/0", "inbound tcp 443 from 0.0.0.0/0"),
        ("unrelated", "closed", "inbound tcp 80 from 10.0.0.0/8", None),
        ("unrelated", "opened", None, "inbound tcp 443 from 10.0.0.0/8"),
    ]


def test_cidr_coverage_macros(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("a")]})
    cases = [
        ("0.0.0.0/0", "10.0.0.0/8", True), ("10.0.0.0/8", "10.255.0.1", True), ("10.0.0.0/8", "11.0.0.0/8", False),
        ("10.1.0.0/16", "10.0.0.0/8", False), ("203.0.113.5", "203.0.113.5/32", True), ("::/0", "2001:db8::/32", True),
        ("2001:db8::/32", "2001:db8:ffff::/48", True), ("2001:db8::/32", "2001:db9::/48", False),
        ("::/0", "0.0.0.0/0", False), ("0.0.0.0/0", "::/0", False), ("0.0.0.0/0", "lightsail-connect", False),
        ("lightsail-connect", "lightsail-connect", True), ("10.0.0.0/33", "10.0.0.1", False), ("300.0.0.0/8", "300.0.0.1", False),
    ]
    got = [(o, i, query(db, "select cidr_covers(?, ?)", [o, i])[0][0]) for o, i, _ in cases]
    assert got == cases
    assert query(db, "select sources_cover(['0.0.0.0/0', '::/0'], ['10.0.0.0/8', '2001:db8::/32']), "
                     "sources_cover(['0.0.0.0/0'], ['10.0.0.0/8', '2001:db8::/32']), sources_cover([], []), "
                     "sources_cover(['10.0.0.0/8'], [])") == [(True, False, True, True)]


def test_a_rule_without_ports_is_the_same_rule_every_night(wh):
    db, root = wh
    rule = port(0, 65535, "all")
    del rule["fromPort"], rule["toPort"]
    load_records(db, root, D1, {"us-east-1": [instance("np", ports=[rule])]})
    load_records(db, root, D2, {"us-east-1": [instance("np", ports=[rule])]})
    assert query(db, "select rule from firewall_rules where snapshot_date = ?", [D2]) == [("inbound all from 0.0.0.0/0",)]
    assert query(db, "select * from firewall_rule_changes") == []
    load_records(db, root, D3, {"us-east-1": [instance("np", ports=[])]})
    assert [row[2:] for row in _firewall_changes(db)] == [("np", "closed", "inbound all from 0.0.0.0/0", None)]


def test_a_system_disk_without_a_path_is_not_attached_and_detached_every_night(wh):
    db, root = wh
    record = instance("nopath")
    del record["hardware"]["disks"][0]["path"]
    load_records(db, root, D1, {"us-east-1": [record]})
    load_records(db, root, D2, {"us-east-1": [record]})
    assert query(db, "select * from disk_changes") == []


def test_an_impaired_instance_stays_reported_through_a_night_without_health_status(wh):
    db, root = wh
    night1 = [instance("sick", health="impaired"), instance("fine")]
    night2 = copy.deepcopy(night1)
    for record in night2:
        del record["instanceStatus"], record["systemStatus"]
    load_records(db, root, D1, {"us-east-1": night1})
    load_records(db, root, D2, {"us-east-1": night2})
    assert query(db, "select snapshot_date, instance_name, instance_status, failed_checks, impaired_since, health_as_of "
                     "from report_impaired_health") == [
        (D2, "sick", "impaired", ["instance:reachability"], dt.datetime(2026, 11, 30, 10, tzinfo=UTC), D1),
    ]
    load_records(db, root, D3, {"us-east-1": [instance("sick"), instance("fine")]})  # recovered
    assert query(db, "select * from report_impaired_health") == []


def test_an_instance_without_metadata_options_is_listed_as_unknown_for_imdsv1(wh):
    db, root = wh
    old = instance("old")
    del old["metadataOptions"]
    load_records(db, root, D1, {"us-east-1": [old, instance("v1", tokens="optional"), instance("v2")]})
    assert query(db, "select instance_name, imdsv1, metadata_http_tokens from report_imdsv1_allowed") == [
        ("v1", "allowed", "optional"), ("old", "unknown", None),
    ]


def test_a_region_whose_current_snapshot_is_empty_counts_zero(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("x")], "eu-west-2": [instance("y", "eu-west-2")]})
    load_records(db, root, D2, {"us-east-1": [instance("x")], "eu-west-2": []})
    assert query(db, "select region, snapshot_date, instances, vcpus, disks from report_capacity_by_region") == [
        ("eu-west-2", D2, 0, 0, 0), ("us-east-1", D2, 1, 2, 1),
    ]
    assert query(db, "select value, instances from report_fleet where dimension = 'region'") == [
        ("eu-west-2", 0), ("us-east-1", 1),
    ]


def test_a_duplicate_tag_key_keeps_current_inventory_working(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("dup", tags=[("env", "prod"), ("env", "dev"), ("team", None)]),
                                              instance("other", tags=[("env", "")])]})
    assert query(db, "select name, tags from current_inventory order by name") == [
        ("dup", {"env": "prod", "team": None}), ("other", {"env": ""}),
    ]


def test_stale_regions_failing_since_is_the_first_failed_attempt(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("a")]})
    load_records(db, root, D3, {"us-east-1": "AccessDenied"}, started_at=dt.datetime(2026, 12, 3, 2, tzinfo=UTC))
    load_records(db, root, D2, {"us-east-1": "AccessDenied"}, started_at=dt.datetime(2026, 12, 3, 9, tzinfo=UTC))
    assert query(db, "select stale_since, failing_since, failed_attempts from report_stale_regions") == [
        (D2, dt.datetime(2026, 12, 3, 2, tzinfo=UTC), 2),
    ]


def test_an_alias_only_rule_whose_ports_another_rule_opens_to_cidrs_is_not_alias_only(wh):
    db, root = wh
    connect = port(22, cidrs=[], aliases=["lightsail-connect"])
    load_records(db, root, D1, {"us-east-1": [
        instance("also-world", ports=[connect, port(22)]),
        instance("also-all", ports=[connect, port(0, 65535, "all", cidrs=["10.0.0.0/8"])]),
        instance("partly", ports=[port(20, 30, cidrs=[], aliases=["lightsail-connect"]), port(22)]),
        instance("only-alias", ports=[connect, port(443)]),
    ]})
    assert query(db, "select instance_name, from_port, to_port from report_firewall_alias_only_rules") == [
        ("only-alias", 22, 22), ("partly", 20, 30),
    ]


def test_a_rule_subsumed_by_another_does_not_decide_whether_access_widened_or_narrowed(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [
        instance("shrinks", ports=[port(22), port(0, 65535)]),
        instance("grows", ports=[port(0, 1024)]),
    ]})
    load_records(db, root, D2, {"us-east-1": [
        instance("shrinks", ports=[port(0, 1024)]),
        instance("grows", ports=[port(22), port(0, 65535)]),
    ]})
    assert [row[2:] for row in _firewall_changes(db)] == [
        ("grows", "opened", None, "inbound tcp 22 from 0.0.0.0/0"),  # already open through the wider rule
        ("grows", "widened", "inbound tcp 0-1024 from 0.0.0.0/0", "inbound tcp 0-65535 from 0.0.0.0/0"),
        ("shrinks", "closed", "inbound tcp 22 from 0.0.0.0/0", None),
        ("shrinks", "narrowed", "inbound tcp 0-65535 from 0.0.0.0/0", "inbound tcp 0-1024 from 0.0.0.0/0"),
    ]


def test_sources_written_otherwise_are_no_change_and_icmp_minus_one_is_any_code(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [
        instance("case", ports=[port(443, cidrs=[], ipv6=["2001:DB8::/32"])]),
        instance("ping", ports=[port(8, 0, "icmp")]),
    ]})
    load_records(db, root, D2, {"us-east-1": [
        instance("case", ports=[port(443, cidrs=[], ipv6=["2001:db8::/32"])]),
        instance("ping", ports=[port(8, -1, "icmp")]),
    ]})
    assert [row[2:] for row in _firewall_changes(db)] == [
        ("ping", "widened", "inbound icmp 8/0 from 0.0.0.0/0", "inbound icmp 8/-1 from 0.0.0.0/0"),
    ]


def test_an_instance_absent_for_a_night_is_removed_then_added_and_not_compared_across_the_gap(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("x", bundle="micro_3_0"), instance("stay")]})
    load_records(db, root, D2, {"us-east-1": [instance("stay")]})
    load_records(db, root, D3, {"us-east-1": [instance("x", bundle="large_3_0"), instance("stay")]})
    assert query(db, "select snapshot_date, change, instance_name from instance_changes order by all") == [
        (D2, "removed", "x"), (D3, "added", "x"),
    ]
    assert query(db, "select * from instance_field_changes where instance_name = 'x'") == []
    assert query(db, "select snapshot_date, previous_date, instance_name from instance_pairs order by all") == [
        (D2, D1, "stay"), (D3, D2, "stay"),
    ]


def test_an_arn_listed_twice_in_one_snapshot_is_never_paired_with_itself(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("x", bundle="a")]})
    load_records(db, root, D2, {"us-east-1": [instance("x", bundle="b"), instance("x", bundle="c")]})
    assert query(db, "select snapshot_date, previous_date from instance_pairs") == [(D2, D1)]
    assert query(db, "select previous_date, old_value, new_value from instance_field_changes "
                     "where field = 'bundle_id' order by all") == [(D1, "a", "b"), (D1, "a", "c")]


def test_text_that_is_not_an_address_is_compared_as_text(wh):
    db, root = wh
    load_records(db, root, D1, {"us-east-1": [instance("a")]})
    assert query(db, "select cidr_range(':::'), cidr_range('1:2:3:4:5:6:7:8::'), cidr_range('1.2.3.256'), "
                     "cidr_range('lightsail-connect'), cidr_range('1:2:3:4:5:6:7::').len, cidr_covers(':::', ':::')") == [
        (None, None, None, None, 128, True),
    ]
