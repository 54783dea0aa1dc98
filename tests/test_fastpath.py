"""The fast path gives exactly the warehouse the straightforward path gives: generated and hand-written pages."""

import datetime as dt
import json
from pathlib import Path

import botocore.parsers
import botocore.session
import orjson
import pytest

from pipelines.fastpath import fast_array
from pipelines.landing import RunFolder
from pipelines.load import load_run
from pipelines.normalise import Snapshot, normalise_records
from pipelines.staging import RegionStager, _write_batch
from pipelines.warehouse import connect, q
from schemas import TABLES
from tests.conftest import SNAPSHOT

FIXTURE = Path(__file__).parent / "fixtures" / "get_instances_edge_cases.json"
SNAP = Snapshot(SNAPSHOT, "123456789012", "us-east-1")
VOLATILE = {"loaded_at", "run_id", "started_at", "duration_s"}


def pages_of(records, size):
    return [orjson.dumps({"instances": records[i : i + size]}) for i in range(0, len(records), size)]


def fast_warehouse(root, pages, batch_records):
    """The product's path: bodies to the stager (fast path where it can), staged parts, one load."""
    stager = RegionStager(root / "fast", SNAP, batch_records=batch_records)
    for number, body in enumerate(pages):
        stager.add_page(number, body)
    return _load(root, "fast", stager.close(), len(pages))


def straightforward_warehouse(root, pages):
    """The plain path: json.loads of every page, one normalise_records over all records, one load."""
    records = [r for body in pages for r in json.loads(body)["instances"]]
    batch = normalise_records(records, SNAP)
    folder = root / "plain"
    folder.mkdir()
    result = _write_batch(folder, 0, batch, None, {})
    counts = {k: result[k] for k in ("received", "loaded", "quarantined")}
    return _load(root, "plain", counts, len(pages))


def _load(root, name, counts, pages):
    run = RunFolder(root / name, SNAPSHOT, "run")
    staged = root / name
    run.staged_dir = lambda account, region: staged  # the staged parts are right here
    manifest = {"run_id": "run", "snapshot_date": SNAPSHOT.isoformat(), "regions": [{
        "account": "default", "account_id": SNAP.account_id, "region": SNAP.region, "status": "ok", "pages": pages,
        "instances": counts["received"], "attempts": pages, "started_at": 0.0, "duration_s": 0.0, **counts}]}
    db = root / f"{name}.duckdb"
    con = connect(db)
    load_run(con, run, manifest, publish=False)
    contents = {}
    for table, schema in TABLES.items():
        columns = ", ".join(q(f.name) for f in schema if f.name not in VOLATILE)
        contents[table] = con.execute(f"select {columns} from {q(table)} order by all").fetchall()
    con.close()
    return contents


@pytest.fixture(scope="module")
def generated_records(fleet):
    return [r for region in fleet.values() for r in region]


def test_generated_fleet_takes_the_fast_path_and_matches(generated_records, tmp_path):
    pages = pages_of(generated_records, 50)
    assert fast_array(pages[:5]) is not None  # the generated fleet is clean: the fast path is taken
    fast = fast_warehouse(tmp_path, pages, batch_records=120)
    assert fast == straightforward_warehouse(tmp_path, pages)
    assert len(fast["instances"]) == len(generated_records) and not fast["quarantine"]


def test_hand_written_edge_cases_match_including_unknown_fields_and_quarantine(generated_records, tmp_path):
    edge = json.loads(FIXTURE.read_text())["instances"]
    # clean pages, then pages with nulls, unknown keys and malformed records, then clean again
    records = generated_records[:150] + edge + generated_records[150:300]
    pages = pages_of(records, 25)
    fast = fast_warehouse(tmp_path, pages, batch_records=40)
    pages_seen = [(row[3], row[4]) for row in fast["quarantine"]]  # (record_index, page): the plain path has no pages
    fast["quarantine"] = [row[:4] + row[5:] for row in fast["quarantine"]]
    plain = straightforward_warehouse(tmp_path, pages)
    plain["quarantine"] = [row[:4] + row[5:] for row in plain["quarantine"]]
    assert fast == plain
    assert pages_seen and all(page == index // 25 for index, page in pages_seen)
    assert any(row[-1] is not None for row in fast["instances"]), "unknown keys kept in _extra"


def test_timestamps_equal_what_botocore_makes_of_the_same_pages(generated_records, tmp_path):
    pages = pages_of(generated_records[:200], 50)
    shape = botocore.session.get_session().get_service_model("lightsail").operation_model("GetInstances").output_shape
    parser = botocore.parsers.create_parser("json")
    expected = {}
    for body in pages:
        for r in parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)["instances"]:
            expected[r["arn"]] = r["createdAt"].astimezone(dt.timezone.utc)
    fast = fast_warehouse(tmp_path, pages, batch_records=100)
    columns = [f.name for f in TABLES["instances"] if f.name not in VOLATILE]
    got = {row[columns.index("arn")]: row[columns.index("created_at")] for row in fast["instances"]}
    assert got == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"instances":[{"arn":"a","name":null}]}',  # explicit null: needs the patch column
        b'{"instances":[{"arn":"a","hardware":{"cpuCount":2,"newThing":1}}]}',  # unknown nested key
        b'{"instances":[{"arn":"a","hardware":{"cpuCount":"2"}}]}',  # string in an integer field
        b'{"instances":[{"arn":"a","hardware":{"cpuCount":1.5}}]}',  # fraction in an integer field
        b'{"instances":[{"arn":"a","hardware":{"ramSizeInGb":12345678901234567890}}]}',  # rounded in a float
        b'{"instances":[{"arn":"a","createdAt":1e12}]}',  # timestamp beyond the accepted range
        b'{"instances":[{"name":"no arn"}]}',  # no key to file it under
        b'{"instances":[{"arn":"a","tags":"k=v"}]}',  # a string where a list belongs
        b'{"instances":[{"arn":"a","name":"\\ud800"}]}',  # a lone surrogate escape
        b'{"instances":[{"arn":"a"}],\n"nextPageToken":"t"}',  # a newline would break NDJSON framing
    ],
)
def test_the_fast_path_declines_what_only_the_record_path_can_judge(body):
    assert fast_array([body]) is None
    assert fast_array([b'{"instances":[{"arn":"a","hardware":{"cpuCount":2,"ramSizeInGb":0.5}}]}']) is not None
