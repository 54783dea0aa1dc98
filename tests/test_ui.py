"""The Dagster UI as an operator meets it: `dagster dev -w workspace.yaml`, one partition materialised through
GraphQL against the local endpoint, then the checks, row counts, summary and column schemas it shows."""

import os
import struct
import zlib

import duckdb
import pytest

from tests.conftest import FLEET, SNAPSHOT
from tests.ui.dagster_dev import DAGSTER, DagsterDev, instance_home
from tests.ui.screenshot import PAGE, find_browser, looks_blank, png_histogram, screenshot

ASSETS = """
query Assets($partition: String!) {
  assetNodes {
    assetKey { path }
    description
    kinds
    groupName
    metadataEntries { label ... on TableSchemaMetadataEntry { schema { columns { name type description } } } }
    assetMaterializations(partitions: [$partition], limit: 1) {
      runId
      metadataEntries { label ... on IntMetadataEntry { intValue } ... on MarkdownMetadataEntry { mdStr } }
    }
    assetChecksOrError { ... on AssetChecks { checks {
      name
      blocking
      executionForLatestMaterialization {
        status runId
        evaluation { success severity metadataEntries { label ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } } }
      }
    } } }
  }
}
"""

needs_dagster = pytest.mark.skipif(not DAGSTER.exists(), reason=f"no dagster executable next to the interpreter ({DAGSTER})")


def ui_env(tmp_path, endpoint_url):
    """What an operator exports before `dagster dev`: the endpoint, dummy credentials, where the data goes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DAGSTER_", "LIGHTSAIL_WAREHOUSE_"))}
    return env | {
        "DAGSTER_HOME": str(instance_home(tmp_path / "dagster_home")),
        "AWS_ENDPOINT_URL_LIGHTSAIL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "LIGHTSAIL_WAREHOUSE_REGIONS": ",".join(FLEET.regions),
        "LIGHTSAIL_WAREHOUSE_DB": str(tmp_path / "warehouse.duckdb"),
        "LIGHTSAIL_WAREHOUSE_DATA_DIR": str(tmp_path / "data"),
        "LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING": "0",  # no tick may start a run of its own during the test
    }


def _entries(entries):
    return {e["label"]: e.get("intValue", e.get("mdStr", e.get("text"))) for e in entries}


@pytest.fixture(scope="module")
def ui(endpoint, tmp_path_factory):
    """`dagster dev` with one partition materialised through GraphQL: (dev, run id, final status, folder)."""
    folder = tmp_path_factory.mktemp("ui")
    with DagsterDev(ui_env(folder, endpoint.url), folder / "dagster-dev.log") as dev:
        dev.dismiss_welcome()
        run_id = dev.launch_job("lightsail_warehouse_job", SNAPSHOT.isoformat())
        yield dev, run_id, dev.wait_for_run(run_id, timeout_s=120), folder


@needs_dagster
def test_the_ui_materialises_a_partition_and_shows_checks_row_counts_and_summary(ui):
    dev, run_id, status, folder = ui
    assert status == "SUCCESS", dev.log_tail()
    nodes = {n["assetKey"]["path"][0]: n for n in dev.graphql(ASSETS, {"partition": SNAPSHOT.isoformat()})["assetNodes"]}

    assert len(nodes) == 17
    instances = nodes["instances"]
    assert instances["description"].startswith("One row per instance per snapshot")
    assert (instances["kinds"], instances["groupName"]) == (["duckdb"], "warehouse")
    [schema] = [e["schema"] for e in instances["metadataEntries"] if e["label"] == "dagster/column_schema"]
    assert [c["name"] for c in schema["columns"][:4]] == ["snapshot_date", "account_id", "region", "arn"]
    assert all(c["description"] for c in schema["columns"])

    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    try:
        for name, node in nodes.items():
            if name == "lightsail_raw_pages":
                continue
            [materialization] = node["assetMaterializations"]
            assert materialization["runId"] == run_id
            rows = con.execute(f'select count(*) from "{name}" where snapshot_date = ?', [SNAPSHOT]).fetchone()[0]
            assert _entries(materialization["metadataEntries"])["dagster/row_count"] == rows, name
    finally:
        con.close()
    metadata = _entries(instances["assetMaterializations"][0]["metadataEntries"])
    assert metadata["dagster/row_count"] == FLEET.fleet_size
    assert metadata["summary"].startswith(f"### Snapshot {SNAPSHOT}")
    assert "| **total** |" in metadata["summary"] and f"| {FLEET.fleet_size} |" in metadata["summary"]
    assert _entries(nodes["lightsail_raw_pages"]["assetMaterializations"][0]["metadataEntries"])["instances_received"] == FLEET.fleet_size

    checks = {
        (name, c["name"]): c for name, node in nodes.items()
        for c in (node["assetChecksOrError"] or {}).get("checks", [])
    }
    assert len(checks) == 31
    for key, check in checks.items():
        execution = check["executionForLatestMaterialization"]
        assert execution["runId"] == run_id and execution["status"] == "SUCCEEDED", key
        assert execution["evaluation"]["success"], key
    reconcile = _entries(checks[("instances", "counts_reconcile")]["executionForLatestMaterialization"]["evaluation"]["metadataEntries"])
    assert reconcile == {"received": FLEET.fleet_size, "mismatches": "none"}
    assert checks[("instances", "counts_reconcile")]["blocking"] and not checks[("instances", "schema_drift")]["blocking"]


@needs_dagster
def test_the_asset_graph_screenshot_is_not_blank(ui):
    browser = find_browser()
    if not browser:
        pytest.skip("no Chromium: `apt-get install -y chromium` to screenshot the asset graph")
    dev, _, status, folder = ui
    assert status == "SUCCESS", dev.log_tail()
    screenshot(browser, dev.url + PAGE, folder / "asset-graph.png", folder / "chromium-profile")
    histogram = png_histogram(folder / "asset-graph.png")
    assert not looks_blank(histogram), f"{folder / 'asset-graph.png'}: {len(histogram)} colours"


def test_a_single_colour_png_counts_as_blank(tmp_path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    width, height = 40, 30
    # A white first row, then rows with PNG filter 2 ("same as the row above"), as encoders write them.
    pixels = b"\x00" + b"\xff" * width * 3 + (b"\x02" + b"\x00" * width * 3) * (height - 1)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))
    (tmp_path / "white.png").write_bytes(png)
    histogram = png_histogram(tmp_path / "white.png")
    assert histogram == {b"\xff\xff\xff": height * len(range(0, width * 3, 21))}
    assert looks_blank(histogram)
