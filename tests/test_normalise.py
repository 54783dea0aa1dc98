"""Normalisation of hand-written GetInstances responses: odd shapes kept apart, bad records quarantined, reports."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from pipelines.drift import VIEW_FILE, schema_drift_sql
from pipelines.landing import RunFolder
from pipelines.load import load_run
from pipelines.normalise import Snapshot, normalise_pages, normalise_records
from pipelines.rebuild import rebuild, rebuild_from_duckdb
from pipelines.staging import RegionStager
from pipelines.warehouse import connect, q, sql_objects
from schemas import TABLES

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = (FIXTURES / "get_instances_edge_cases.json").read_bytes()
RECORDS = orjson.loads(PAGE)["instances"]
SNAPSHOT = Snapshot(dt.date(2026, 12, 1), "123456789012", "us-east-1")
ARN = "arn:aws:lightsail:us-east-1:123456789012:Instance/0a1b2c3d-0000-4000-8000-00000000000"
WEB, LEGACY, BROKEN, DB = (ARN + str(i) for i in range(1, 5))


@pytest.fixture(scope="module")
def batch():
    return normalise_pages([PAGE], SNAPSHOT)


def rows(batch, table, arn=None, **where):
    """Rows of one table as dicts (without the snapshot columns), optionally of one instance."""
    found = []
    for row in batch.tables[table].to_pylist():
        if arn is not None and row.get("instance_arn", row.get("arn")) != arn:
            continue
        if all(row[k] == v for k, v in where.items()):
            found.append({k: v for k, v in row.items() if k not in ("snapshot_date", "account_id", "region", "instance_arn")})
    return found


def test_key_only_tag_is_null_and_empty_value_is_empty_string(batch):
    assert rows(batch, "instance_tags", WEB) == [
        {"tag_index": 0, "key": "owner", "value": None, "_extra": None},
        {"tag_index": 1, "key": "env", "value": "", "_extra": None},
        {"tag_index": 2, "key": "team", "value": "data", "_extra": None},
    ]


def test_port_with_only_a_cidr_list_alias(batch):
    (ssh,) = rows(batch, "firewall_ports", WEB, port_index=0)
    assert (ssh["cidrs_count"], ssh["ipv6_cidrs_count"], ssh["cidr_list_aliases_count"]) == (0, 0, 1)
    assert rows(batch, "firewall_port_cidr_list_aliases", WEB) == [{"port_index": 0, "alias_index": 0, "alias": "lightsail-connect"}]
    assert rows(batch, "firewall_port_cidrs", WEB) == [{"port_index": 1, "cidr_index": 0, "cidr": "0.0.0.0/0"}]


def test_port_list_keys_absent_are_null_counts_and_present_empty_are_zero(batch):
    (legacy_port,) = rows(batch, "firewall_ports", LEGACY)
    assert (legacy_port["cidrs_count"], legacy_port["ipv6_cidrs_count"], legacy_port["cidr_list_aliases_count"]) == (None, None, None)
    (web_port, _) = rows(batch, "firewall_ports", WEB)
    assert web_port["cidrs_count"] == 0


def test_ipv6_addresses_empty_versus_absent(batch):
    counts = {r["name"]: r["ipv6_addresses_count"] for r in rows(batch, "instances")}
    assert counts == {"web-1": 0, "legacy-2": None, "db-4": 1}
    assert rows(batch, "instance_ipv6_addresses", DB) == [{"address_index": 0, "ipv6_address": "2600:1f18:0:0:1:2:3:4"}]


def test_explicit_null_empty_object_and_unknown_keys_are_kept_per_row(batch):
    (legacy,) = rows(batch, "instances", LEGACY)
    assert json.loads(legacy["_extra"]) == {
        "publicIpAddress": None,
        "metadataOptions": {},
        "placementGroup": {"id": "pg-1", "strategy": "spread"},
    }
    assert legacy["public_ip_address"] is None and legacy["metadata_state"] is None
    (port,) = rows(batch, "firewall_ports", LEGACY)
    assert json.loads(port["_extra"]) == {"prefixListIds": ["pl-0123"]}
    assert batch.unknown == {"placementGroup": 1, "networking.ports[].prefixListIds": 1}


def test_timestamps_are_utc_microseconds(batch):
    created = {r["name"]: r["created_at"] for r in rows(batch, "instances")}
    assert created["web-1"] == dt.datetime(2025, 12, 1, 0, 0, 0, 123456, tzinfo=dt.timezone.utc)
    assert created["legacy-2"] == dt.datetime(2018, 1, 1, tzinfo=dt.timezone.utc)
    assert batch.tables["instances"].schema.field("created_at").type == pa.timestamp("us", tz="UTC")


def test_malformed_record_is_quarantined_and_the_rest_load(batch):
    assert batch.received == 4 and batch.loaded == 3
    (bad,) = batch.quarantine.to_pylist()
    assert (bad["record_index"], bad["instance_arn"], bad["path"]) == (2, BROKEN, "$.hardware.cpuCount")
    assert bad["reason"] == "Expected `int`, got `str`"
    assert orjson.loads(bad["raw"]) == RECORDS[2]


def test_enum_values_the_model_does_not_list_are_reported_not_refused(batch):
    assert batch.unseen_enum_values == {"networking.ports[].accessType": {"public": 2}}
    assert [r["access_type"] for r in rows(batch, "firewall_ports")] == ["public", "public", "Public"]


def test_rebuild_gives_back_the_page(batch):
    rebuilt = {r["arn"]: r for r in rebuild(batch.tables)}
    assert rebuilt == {r["arn"]: r for r in RECORDS if r["arn"] != BROKEN}
    assert "ipv6Addresses" not in rebuilt[LEGACY] and rebuilt[WEB]["ipv6Addresses"] == []
    assert "cidrs" not in rebuilt[LEGACY]["networking"]["ports"][0]


@pytest.mark.parametrize(
    ("path", "value", "where", "reason"),
    [
        (("hardware", "cpuCount"), 2.0, "$.hardware.cpuCount", "Expected `int`, got `float`"),
        (("hardware", "cpuCount"), True, "$.hardware.cpuCount", "Expected `int`, got `bool`"),
        (("hardware", "cpuCount"), 2**63, "$.hardware.cpuCount", "Expected `int` <= 9223372036854775807"),
        (("hardware", "ramSizeInGb"), 2**53 + 1, "$.hardware.ramSizeInGb", "Expected `int` <= 9007199254740992"),
        (("hardware", "ramSizeInGb"), "2.0", "$.hardware.ramSizeInGb", "Expected `int | float`, got `str`"),
        (("isStaticIp",), "false", "$.isStaticIp", "Expected `bool`, got `str`"),
        (("createdAt",), "2025-12-01T00:00:00Z", "$.createdAt", "Expected `float`, got `str`"),
        (("tags",), {"key": "owner"}, "$.tags", "Expected `array`, got `object`"),
        (("networking", "ports", 1, "cidrs", 0), 10, "$.networking.ports[1].cidrs[0]", "Expected `str | null`, got `int`"),
        (("arn",), None, "$", "Object missing required field `arn`"),
    ],
)
def test_values_are_never_coerced(path, value, where, reason):
    record = orjson.loads(orjson.dumps(RECORDS[0]))
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    if value is None:
        del target[path[-1]]
    out = normalise_records([RECORDS[3], record], SNAPSHOT)
    assert out.loaded == 1
    (refused,) = out.quarantine.select(["record_index", "path", "reason"]).to_pylist()
    assert refused == {"record_index": 1, "path": where, "reason": reason}


def test_schema_drift_view_file_is_generated_from_the_schemas():
    assert VIEW_FILE.read_text() == schema_drift_sql(), "run `python -m pipelines.drift` to regenerate it"


# --- through staging and a real load into DuckDB -----------------------------------------------------------


def stage_and_load(root, records, batch_records=2):
    """Stage `records` as one region's extraction (in small batches) and load them; returns (con, manifest)."""
    folder = RunFolder(root, SNAPSHOT.date, "run-1")
    stager = RegionStager(folder.staged_dir("main", SNAPSHOT.region), SNAPSHOT, batch_records=batch_records)
    stager.add(records)
    region = {
        "account": "main", "account_id": SNAPSHOT.account_id, "region": SNAPSHOT.region, "status": "ok", "pages": 1,
        "instances": len(records), "attempts": 1, "started_at": 1764547200.0, "duration_s": 0.5, "error": None,
        **stager.close(),
    }
    manifest = {"run_id": "run-1", "snapshot_date": SNAPSHOT.date.isoformat(), "regions": [region]}
    con = connect(root / "warehouse.duckdb")
    load_run(con, folder, manifest, publish=False)
    return con, manifest


def test_page_with_a_malformed_record_loads_the_others_and_counts_reconcile(tmp_path):
    from pipelines.checks import CheckThresholds, run_table_checks  # imports Dagster

    con, manifest = stage_and_load(tmp_path, RECORDS)
    region = manifest["regions"][0]
    assert (region["received"], region["loaded"], region["quarantined"]) == (4, 3, 1)
    assert region["unknown_fields"] == {"networking.ports[].prefixListIds": 1, "placementGroup": 1}
    assert region["unseen_enum_values"] == {"networking.ports[].accessType": {"public": 2}}
    assert con.execute("select record_index, instance_arn, path from quarantine").fetchall() == [(2, BROKEN, "$.hardware.cpuCount")]
    checks = run_table_checks(con, SNAPSHOT.date, manifest, CheckThresholds())
    results = {(r.asset_key.to_user_string(), r.check_name): r.passed for r in checks}
    assert results[("instances", "counts_reconcile")] is True
    assert all(passed for (table, check), passed in results.items() if check in ("primary_key_unique", "has_parent"))
    rebuilt = {r["arn"]: r for r in rebuild_from_duckdb(con, SNAPSHOT.date, SNAPSHOT.account_id, SNAPSHOT.region)}
    assert rebuilt == {r["arn"]: r for r in RECORDS if r["arn"] != BROKEN}


def test_schema_drift_view_lists_unknown_members_not_nulls_or_empty_objects(tmp_path):
    con, _ = stage_and_load(tmp_path, RECORDS)
    assert con.execute("select * from schema_drift order by all").fetchall() == [
        ("firewall_ports", "networking.ports[].prefixListIds", 1, SNAPSHOT.date, SNAPSHOT.date),
        ("instances", "placementGroup", 1, SNAPSHOT.date, SNAPSHOT.date),
    ]


def test_schema_drift_view_finds_unknown_keys_inside_known_objects(tmp_path):
    record = orjson.loads(orjson.dumps(RECORDS[0]))
    record["hardware"]["disks"][0]["location"] = {"regionName": None, "zoneId": "use1-az1"}
    record["networking"]["monthlyTransfer"]["gbPerMonthUsed"] = 12
    con, _ = stage_and_load(tmp_path, [record])
    assert con.execute("select table_name, path, row_count from schema_drift order by all").fetchall() == [
        ("disks", "hardware.disks[].location.zoneId", 1),
        ("instances", "networking.monthlyTransfer.gbPerMonthUsed", 1),
    ]


# --- host independence ------------------------------------------------------------------------------------

_IN_ZONE = """
import sys
from pathlib import Path
from tests.test_normalise import warehouse_dump
print(warehouse_dump(Path(sys.argv[1])))
"""


def warehouse_dump(root):
    """Every table and view after staging and loading the fixture page, as text (load times left out)."""
    con, _ = stage_and_load(root, RECORDS)
    dump = {}
    macros = {name for (name,) in con.execute("select function_name from duckdb_functions() where function_type = 'macro'").fetchall()}
    for name in [*TABLES, *(name for name, _ in sql_objects() if name not in macros)]:
        cursor = con.execute(f"select * from {q(name)}")
        columns = [c[0] for c in cursor.description]
        keep = [i for i, c in enumerate(columns) if "loaded_at" not in c]
        dump[name] = sorted(repr([row[i] for i in keep]) for row in cursor.fetchall())
    dump["rebuilt"] = sorted(orjson.dumps(r, option=orjson.OPT_SORT_KEYS).decode() for r in rebuild_from_duckdb(con, SNAPSHOT.date))
    return json.dumps(dump, sort_keys=True)


def test_warehouse_contents_do_not_depend_on_the_host_time_zone(tmp_path):
    dumps = {}
    for zone in ("UTC", "Pacific/Auckland", "America/St_Johns"):
        env = {**os.environ, "TZ": zone}
        out = subprocess.run(
            [sys.executable, "-c", _IN_ZONE, str(tmp_path / zone.replace("/", "_"))],
            cwd=Path(__file__).parent.parent, env=env, capture_output=True, text=True, check=True,
        )
        dumps[zone] = json.loads(out.stdout)
    assert dumps["UTC"]["instances"] and dumps["UTC"]["current_instances"]
    assert dumps["Pacific/Auckland"] == dumps["UTC"]
    assert dumps["America/St_Johns"] == dumps["UTC"]
