"""The main job end to end: real boto3 over HTTP to the local endpoint, Dagster materialise, a DuckDB file."""

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from pipelines.runner import run_job
from pipelines.shape import walk_leaves
from pipelines.warehouse import connect
from tests.conftest import FLEET, SNAPSHOT


@pytest.fixture
def loaded(lightsail, warehouse):
    ok, error = run_job(lightsail, warehouse, SNAPSHOT)
    assert ok, error
    con = connect(warehouse.path, read_only=True)
    yield con
    con.close()


def test_instance_count_equals_the_fleet_per_region(loaded, fleet):
    rows = dict(loaded.execute("select region, count(*) from current_instances group by all").fetchall())
    assert rows == {region: len(records) for region, records in fleet.items()}
    assert loaded.execute("select count(*) from quarantine").fetchone()[0] == 0


def test_every_generated_value_lands(loaded, fleet):
    """Child row counts equal what the fleet holds, list by list."""
    records = [r for region in fleet.values() for r in region]
    expected = {
        "instance_tags": sum(len(r.get("tags", [])) for r in records),
        "instance_ipv6_addresses": sum(len(r.get("ipv6Addresses", [])) for r in records),
        "disks": sum(len(r["hardware"]["disks"]) for r in records),
        "disk_tags": sum(len(d.get("tags", [])) for r in records for d in r["hardware"]["disks"]),
        "firewall_ports": sum(len(r["networking"]["ports"]) for r in records),
        "firewall_port_cidrs": sum(len(p.get("cidrs", [])) for r in records for p in r["networking"]["ports"]),
        "instance_status_details": sum(len(r["instanceStatus"]["details"]) for r in records),
    }
    actual = {name: loaded.execute(f'select count(*) from "{name}"').fetchone()[0] for name in expected}
    assert actual == expected


def test_quirks_keep_null_empty_string_and_empty_list_apart(loaded, fleet):
    records = {r["arn"]: r for region in fleet.values() for r in region}
    system_disks = loaded.execute(
        "select count(*), count(name), count(arn), count(support_code) from disks where is_system_disk"
    ).fetchone()
    assert system_disks[0] == len(records) and system_disks[1:] == (0, 0, 0)
    key_only, empty_value = loaded.execute(
        "select count(*) filter (where value is null), count(*) filter (where value = '') from instance_tags"
    ).fetchone()
    assert key_only == sum(1 for r in records.values() for t in r.get("tags", []) if "value" not in t) > 0
    assert empty_value == sum(1 for r in records.values() for t in r.get("tags", []) if t.get("value") == "") > 0
    assert loaded.execute("select count(*) from firewall_ports where access_type = 'public'").fetchone()[0] > 0
    old = loaded.execute(
        "select count(*) from instances where add_ons_count is null and ipv6_addresses_count is null and metadata_http_tokens is null"
    ).fetchone()[0]
    assert old == sum(1 for r in records.values() if "addOns" not in r and "ipv6Addresses" not in r and "metadataOptions" not in r) > 0
    empty_ipv6 = loaded.execute("select count(*) from instances where ipv6_addresses_count = 0").fetchone()[0]
    assert empty_ipv6 == sum(1 for r in records.values() if r.get("ipv6Addresses") == [])
    unicode_values = {v for (v,) in loaded.execute("select value from instance_tags where value is not null").fetchall()}
    assert unicode_values == {t["value"] for r in records.values() for t in r.get("tags", []) if t.get("value") is not None}
    assert any(not v.isascii() for v in unicode_values)


def test_instance_values_match_the_wire(loaded, fleet):
    record = fleet["eu-west-2"][3]
    row = loaded.execute(
        "select name, bundle_id, cpu_count, ram_size_in_gb, state_name, created_at, availability_zone "
        "from instances where arn = ?", [record["arn"]]
    ).fetchone()
    created = dt.datetime.fromtimestamp(record["createdAt"], dt.timezone.utc)
    assert row == (
        record["name"], record["bundleId"], record["hardware"]["cpuCount"], record["hardware"]["ramSizeInGb"],
        record["state"]["name"], created, record["location"]["availabilityZone"],
    )


def test_every_view_is_queryable(loaded):
    views = [v for (v,) in loaded.execute("select view_name from duckdb_views() where not internal").fetchall()]
    assert {"current_inventory", "ports_open_to_world", "current_instances"} <= set(views)
    for view in views:
        loaded.execute(f'select * from "{view}" limit 1').fetchall()
    world = loaded.execute("select count(*) from ports_open_to_world where open_to in ('0.0.0.0/0', '::/0')").fetchone()[0]
    assert world > 0


def test_every_leaf_of_the_botocore_instance_shape_has_a_column():
    import botocore.session

    model = botocore.session.get_session().get_service_model("lightsail").shape_for("Instance")

    def leaves(shape, path=()):
        if shape.type_name == "structure":
            for name, member in shape.members.items():
                yield from leaves(member, path + (name,))
        elif shape.type_name == "list":
            yield from leaves(shape.member, path + ("[]",))
        else:
            yield path

    ours = {path for path, _ in walk_leaves()}
    missing = sorted(".".join(p) for p in leaves(model) if p not in ours)
    assert not missing, f"botocore's Instance shape has members without a column: {missing}"


def test_cli_run_honours_aws_endpoint_url_lightsail(endpoint, tmp_path, fleet):
    env = {**os.environ, "AWS_ENDPOINT_URL_LIGHTSAIL": endpoint.url}
    db = tmp_path / "cli.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--db", str(db), "--data-dir", str(tmp_path / "d"),
         "--regions", ",".join(FLEET.regions), "--date", "2026-12-02"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from instances").fetchone()[0] == sum(len(v) for v in fleet.values())
    assert con.execute("select distinct account_id from instances").fetchall() == [(FLEET.account_id,)]
    assert "Current instances by region and state" in result.stdout
