"""A configured region without Lightsail is skipped, not failed: the run, the reports, `status` and the run metadata."""

import json
import logging
import math

import dagster as dg

from pipelines.assets import lightsail_raw_pages
from pipelines.checks import CheckThresholds
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.metadata import extraction_metadata, extraction_totals, extraction_warnings
from pipelines.progress import ProgressResource
from pipelines.readout import status_text
from pipelines.regions import lightsail_regions
from pipelines.resources import LightsailResource
from pipelines.runner import run_job
from tests.conftest import FLEET, SNAPSHOT
from tests.warehouse_helpers import query

SKIPPED = "us-west-1"  # not in botocore's Lightsail endpoint list
READ = ["us-east-1", "eu-west-2"]


def _with_skipped(endpoint, regions=READ):
    return LightsailResource(regions=[*regions, SKIPPED], endpoint_url=endpoint.url, max_attempts=3)


def test_a_skipped_region_is_recorded_but_neither_fails_the_run_nor_goes_stale(endpoint, warehouse, fleet):
    assert SKIPPED not in lightsail_regions()
    assert run_job(_with_skipped(endpoint), warehouse, SNAPSHOT) == (True, None)

    runs = query(warehouse.path, "select region, status, pages, resumes, retry_quota_exhausted, restarts, error "
                                 "from extraction_runs order by region")
    pages = {region: math.ceil(len(fleet[region]) / FLEET.page_size) for region in READ}
    assert [r[:6] for r in runs] == [
        ("eu-west-2", "ok", pages["eu-west-2"], 0, 0, 0), ("us-east-1", "ok", pages["us-east-1"], 0, 0, 0),
        (SKIPPED, "skipped", 0, 0, 0, 0),
    ]
    assert runs[2][6].startswith(f"Lightsail is not available in {SKIPPED}")
    assert query(warehouse.path, "select * from report_stale_regions") == []
    assert query(warehouse.path, "select region, count(*) from current_instances group by all order by all") == sorted(
        (region, len(fleet[region])) for region in READ
    )

    out = status_text(warehouse.path)
    [line] = [line for line in out.splitlines() if f"  {SKIPPED}  " in line]
    assert " skipped " in line and "stale" not in line and "failed" not in line
    status = json.loads(status_text(warehouse.path, fmt="json"))
    assert [(r["regions_ok"], r["regions_failed"], r["regions_skipped"]) for r in status["runs"]] == [(2, 0, 1)]
    assert {r["region"]: r["freshness"] for r in status["regions"]} == {"eu-west-2": "fresh", "us-east-1": "fresh", SKIPPED: "skipped"}


def test_every_read_region_failing_still_fails_the_run_when_another_is_skipped(warehouse):
    config = EndpointConfig(fleet_size=30, regions=FLEET.regions, failing_regions=FLEET.regions)
    with FakeLightsail(config) as endpoint:
        ok, error = run_job(_with_skipped(endpoint), warehouse, SNAPSHOT)
    assert not ok and error.startswith("every region failed; first error: AccessDeniedException")


def test_the_extraction_asset_shows_totals_skipped_regions_and_warnings(endpoint, warehouse, fleet):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [lightsail_raw_pages], partition_key=SNAPSHOT.isoformat(), raise_on_error=False, instance=instance,
        resources={"lightsail": _with_skipped(endpoint, ["eu-west-2"]), "warehouse": warehouse,
                   "thresholds": CheckThresholds(), "progress": ProgressResource()},
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    n = len(fleet["eu-west-2"])
    assert (metadata["records_received"], metadata["records_loaded"], metadata["records_quarantined"]) == (n, n, 0)
    assert (metadata["skipped_regions"], metadata["failed_regions"]) == (f"default/{SKIPPED}", "none")
    assert metadata["warnings"].startswith(f"- default/{SKIPPED} skipped: Lightsail is not available in {SKIPPED}")
    warned = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
    assert any(m.startswith(f"default/{SKIPPED} skipped: Lightsail is not available") for m in warned)


MANIFEST = {
    "warnings": ["default/us-west-1 skipped: Lightsail is not available in us-west-1"],
    "regions": [
        {"account": "default", "region": "eu-west-2", "status": "ok", "received": 10, "loaded": 9, "quarantined": 1,
         "unknown_fields": {"placementGroup": 4, "networking.ports[].prefixListIds": 2},
         "unseen_enum_values": {"state.name": {"hibernating": 3}, "networking.ports[].accessType": {"shared": 1}}},
        {"account": "prod", "region": "eu-west-2", "status": "ok", "received": 5, "loaded": 5, "quarantined": 0,
         "unknown_fields": {"placementGroup": 1}, "unseen_enum_values": {"state.name": {"hibernating": 2, "frozen": 1}}},
        {"account": "prod", "region": "us-east-1", "status": "failed", "received": 7, "loaded": 0, "quarantined": 0,
         "unknown_fields": {}, "unseen_enum_values": {}},
        {"account": "default", "region": "us-west-1", "status": "skipped", "received": 0, "loaded": 0, "quarantined": 0},
    ],
}


def test_extraction_totals_sum_counts_and_drift_over_regions():
    totals = extraction_totals(MANIFEST)
    assert totals == {
        "received": 22, "loaded": 14, "quarantined": 1,
        "skipped": ["default/us-west-1"],
        "warnings": MANIFEST["warnings"],
        "unknown_fields": {"networking.ports[].prefixListIds": 2, "placementGroup": 5},
        "unseen_enum_values": {"networking.ports[].accessType": {"shared": 1}, "state.name": {"frozen": 1, "hibernating": 5}},
    }
    metadata = {k: getattr(v, "value", v) for k, v in extraction_metadata(totals).items()}
    assert metadata == {
        "records_received": 22, "records_loaded": 14, "records_quarantined": 1,
        "skipped_regions": "default/us-west-1",
        "warnings": "- default/us-west-1 skipped: Lightsail is not available in us-west-1",
        "unknown_fields": "- `networking.ports[].prefixListIds`: 2 rows\n- `placementGroup`: 5 rows",
        "unseen_enum_values": "- `networking.ports[].accessType`: `shared` (1)\n- `state.name`: `frozen` (1), `hibernating` (5)",
    }
    assert extraction_warnings(totals) == [
        "default/us-west-1 skipped: Lightsail is not available in us-west-1",
        "unknown fields (schema drift): networking.ports[].prefixListIds: 2 rows; placementGroup: 5 rows",
        "unseen enum values: networking.ports[].accessType: shared (1); state.name: frozen (1), hibernating (5)",
    ]


def test_a_clean_manifest_has_nothing_to_warn_about():
    totals = extraction_totals({"regions": [{"account": "a", "region": "eu-west-2", "status": "ok", "received": 3,
                                             "loaded": 3, "quarantined": 0, "unknown_fields": {}, "unseen_enum_values": {}}]})
    assert extraction_warnings(totals) == []
    metadata = {k: getattr(v, "value", v) for k, v in extraction_metadata(totals).items()}
    assert (metadata["skipped_regions"], metadata["warnings"], metadata["unknown_fields"], metadata["unseen_enum_values"]) == (
        "none", "none", "none", "none")


def test_values_lightsail_is_known_to_answer_with_are_recorded_but_not_warned_about():
    """Real ports say accessType public/private where the model says Public/Private: every night, on every fleet."""
    region = {"account": "a", "region": "eu-west-2", "status": "ok", "received": 3, "loaded": 3, "quarantined": 0,
              "unknown_fields": {}, "unseen_enum_values": {"networking.ports[].accessType": {"public": 5, "private": 1}}}
    totals = extraction_totals({"regions": [region]})
    assert extraction_warnings(totals) == []
    metadata = {k: getattr(v, "value", v) for k, v in extraction_metadata(totals).items()}
    assert metadata["unseen_enum_values"] == "- `networking.ports[].accessType`: `private` (1), `public` (5)"
    region["unseen_enum_values"]["networking.ports[].accessType"]["shared"] = 2
    assert extraction_warnings(extraction_totals({"regions": [region]})) == [
        "unseen enum values: networking.ports[].accessType: shared (2)"
    ]
