"""Every injected fault, through the real job (Dagster, boto3 over HTTP, DuckDB): what loads and what is reported."""

import dataclasses
import datetime as dt
from collections import Counter

import pytest

from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.landing import find_run
from pipelines.resources import LightsailResource
from pipelines.runner import run_job
from tests.conftest import SNAPSHOT, closed_port_url
from tests.estate_helpers import (
    AUDIT, ESTATE, MAIN, contents, estate, max_concurrency, requests_by_pair, rows, sequential,
)


@pytest.fixture
def serve(monkeypatch):
    """Start an endpoint (STS included) for one run and point STS at it; stopped after the test."""
    started = []

    def start(config):
        fake = FakeLightsail(config)
        started.append(fake)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.start())
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture(scope="module")
def clean_estate(tmp_path_factory):
    """The fault-free run of the two-account estate: the warehouse every faulty run must equal."""
    root = tmp_path_factory.mktemp("clean")
    with pytest.MonkeyPatch.context() as mp, FakeLightsail(ESTATE) as fake:
        # Module scope runs before the autouse `isolated_aws`: the same isolation, by hand.
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LIGHTSAIL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                     "AWS_SESSION_TOKEN", "DAGSTER_HOME"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_CONFIG_FILE", str(root / "aws-config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "aws-credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        ok, error = run_job(estate(fake.url), _warehouse(root), SNAPSHOT)
    assert ok, error
    return _warehouse(root)


def _warehouse(root):
    from pipelines.resources import WarehouseResource

    return WarehouseResource(path=str(root / "warehouse.duckdb"), data_dir=str(root / "data"), lock_timeout_s=5)


def test_clean_estate_holds_both_accounts_every_row_with_its_own_account_id(clean_estate):
    by_account = dict(rows(clean_estate.path, "select account_id, count(*) from instances group by all"))
    fake = FakeLightsail(ESTATE)  # not started: only its generated sizes are read
    assert by_account == {account: sum(sizes.values()) for account, sizes in fake.account_sizes.items()}
    mismatched = rows(clean_estate.path, "select count(*) from instances where split_part(arn, ':', 5) <> account_id")
    assert mismatched == [(0,)]


def test_throttling_and_server_errors_load_exactly_what_a_clean_run_loads(clean_estate, serve, tmp_path):
    faulty = serve(dataclasses.replace(ESTATE, throttle_rate=0.3, error_rate=0.1, fault_seed=10))
    warehouse = _warehouse(tmp_path)
    ok, error = run_job(estate(faulty.url), warehouse, SNAPSHOT)
    assert ok, error
    statuses = Counter(r.status for r in faulty.request_log if r.operation == "GetInstances")
    assert statuses[400] >= 8 and statuses[500] >= 3  # the storm really happened (fault_seed fixes how often)
    assert contents(warehouse.path) == contents(clean_estate.path)
    # Every request is accounted for, per (account, region), retries included.
    attempts = dict(((a, r), n) for a, r, n in rows(warehouse.path, "select account_id, region, attempts from extraction_runs"))
    assert attempts == dict(requests_by_pair(faulty.request_log))


def test_a_permanently_failing_region_fails_the_run_by_name_and_keeps_its_last_good_data(serve, tmp_path):
    warehouse, day2 = _warehouse(tmp_path), SNAPSHOT + dt.timedelta(days=1)
    healthy = serve(ESTATE)
    assert run_job(estate(healthy.url), warehouse, SNAPSHOT) == (True, None)
    broken = serve(dataclasses.replace(ESTATE, failing_regions=(f"{AUDIT}/eu-west-2",)))
    ok, error = run_job(estate(broken.url), warehouse, day2)
    assert not ok
    assert "audit/eu-west-2" in error and "main/eu-west-2" not in error
    runs = rows(warehouse.path, "select account_id, region, status, error from extraction_runs where snapshot_date = ? order by all", [day2])
    assert [(a, r, s) for a, r, s, _ in runs] == sorted(
        (account, region, "failed" if (account, region) == (AUDIT, "eu-west-2") else "ok")
        for account in (MAIN, AUDIT) for region in ESTATE.regions
    )
    assert "AccessDeniedException" in next(e for a, r, s, e in runs if s == "failed")
    current = dict(((a, r), d) for a, r, d in rows(warehouse.path, "select account_id, region, max(snapshot_date) from current_instances group by all"))
    assert current.pop((AUDIT, "eu-west-2")) == SNAPSHOT  # the last good snapshot stays current
    assert set(current.values()) == {day2} and len(current) == 5
    stale = rows(warehouse.path, "select count(*) from current_instances where account_id = ? and region = 'eu-west-2'", [AUDIT])
    assert stale == [(broken.account_sizes[AUDIT]["eu-west-2"],)]


def test_regions_are_pulled_in_parallel_and_each_region_in_page_order(serve, tmp_path):
    regions = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1", "ap-south-1", "ap-southeast-2")
    slow = serve(EndpointConfig(regions=regions, region_sizes=(40,) * 8, page_size=8, latency_s=0.2))
    ok, error = run_job(LightsailResource(regions=list(regions), endpoint_url=slow.url, max_workers=8), _warehouse(tmp_path), SNAPSHOT)
    assert ok, error
    log = [r for r in slow.request_log if r.operation == "GetInstances"]
    by_region = {region: [r for r in log if r.region == region] for region in regions}
    assert {region: len(requests) for region, requests in by_region.items()} == {region: 5 for region in regions}
    assert all(sequential(requests) for requests in by_region.values())  # pagination within a region stays serial
    assert max_concurrency(log) >= 4  # while regions run side by side
    busy, span = sum(r.ended - r.started for r in log), max(r.ended for r in log) - min(r.started for r in log)
    assert busy > 2 * span  # on average more than two requests in flight


def test_a_connection_dropped_mid_pagination_is_retried_and_loses_nothing(serve, tmp_path):
    dropping = serve(dataclasses.replace(ESTATE, drop_connection_after_pages=2))
    warehouse = _warehouse(tmp_path)
    ok, error = run_job(estate(dropping.url), warehouse, SNAPSHOT)
    assert ok, error
    dropped = Counter((r.account, r.region) for r in dropping.request_log if r.status is None)
    assert dropped == {(account, region): 1 for account in (MAIN, AUDIT) for region in ESTATE.regions}
    counts = dict(((a, r), n) for a, r, n in rows(warehouse.path, "select account_id, region, count(*) from instances group by all"))
    assert counts == {(a, r): n for a, sizes in dropping.account_sizes.items() for r, n in sizes.items()}


def test_an_expired_page_token_starts_the_region_over_and_lands_one_clean_listing(serve, tmp_path):
    expiring = serve(dataclasses.replace(ESTATE, expire_token_after_pages=2))
    warehouse = _warehouse(tmp_path)
    ok, error = run_job(estate(expiring.url), warehouse, SNAPSHOT)
    assert ok, error
    (run_id,) = rows(warehouse.path, "select distinct run_id from extraction_runs")[0]
    folder = find_run(warehouse.data_dir, run_id)
    for entry in folder.read_manifest()["regions"]:
        expected = expiring.account_sizes[entry["account_id"]][entry["region"]]
        assert (entry["status"], entry["restarts"], entry["instances"]) == ("ok", 1, expected)
        assert folder.raw_page_count(entry["account"], entry["region"]) == entry["pages"] == -(-expected // ESTATE.page_size)
    refused = Counter(r.status for r in expiring.request_log if r.operation == "GetInstances")[400]
    assert refused == 6  # one expired token per (account, region)
    assert rows(warehouse.path, "select count(*) from instances") == [(sum(sum(s.values()) for s in expiring.account_sizes.values()),)]


def test_a_throttling_storm_that_outlasts_botocore_retries_slows_the_region_but_does_not_fail_it(serve, tmp_path):
    # fault_seed=10 throttles requests 1, 2, 5 and 6: botocore (2 attempts per call) gives up on pages 0 and 2.
    config = EndpointConfig(regions=("eu-west-2",), region_sizes=(60,), page_size=20, throttle_rate=0.6, fault_seed=10)
    storm = serve(config)
    warehouse = _warehouse(tmp_path)
    lightsail = LightsailResource(regions=["eu-west-2"], endpoint_url=storm.url, max_attempts=2, page_backoff_s=0.05)
    assert run_job(lightsail, warehouse, SNAPSHOT) == (True, None)
    (run_id,) = rows(warehouse.path, "select distinct run_id from extraction_runs")[0]
    (entry,) = find_run(warehouse.data_dir, run_id).read_manifest()["regions"]
    assert entry["resumes"] == 2  # each time the page was asked for again, from its own token
    assert (entry["status"], entry["pages"], entry["instances"], entry["attempts"]) == ("ok", 3, 60, 7)
    assert rows(warehouse.path, "select count(distinct arn) from instances") == [(60,)]


def test_a_5xx_storm_that_empties_botocores_retry_quota_does_not_fail_the_region(serve, tmp_path):
    """Standard mode's retry quota (500 tokens per client, 14 per 5xx retry) runs dry; the listing carries on."""
    config = EndpointConfig(regions=("eu-west-2",), region_sizes=(600,), page_size=20, error_rate=0.75, fault_seed=1)
    storm = serve(config)
    warehouse = _warehouse(tmp_path)
    lightsail = LightsailResource(regions=["eu-west-2"], endpoint_url=storm.url, max_attempts=3, page_backoff_s=0.01)
    assert run_job(lightsail, warehouse, SNAPSHOT) == (True, None)
    (run_id,) = rows(warehouse.path, "select distinct run_id from extraction_runs")[0]
    (entry,) = find_run(warehouse.data_dir, run_id).read_manifest()["regions"]
    assert entry["retry_quota_exhausted"] > 0 and entry["resumes"] >= entry["retry_quota_exhausted"]
    assert (entry["status"], entry["pages"], entry["instances"]) == ("ok", 30, 600)
    assert entry["attempts"] == sum(requests_by_pair(storm.request_log).values())


def test_an_unreachable_endpoint_fails_its_region_after_botocores_attempts_alone_and_is_recorded(tmp_path):
    """Connection refused: botocore's own attempts, no resume on top (the region never answered), and the run says so."""
    warehouse = _warehouse(tmp_path)
    lightsail = LightsailResource(regions=["eu-west-2", "us-east-1"], endpoint_url=closed_port_url(), max_attempts=2,
                                  page_retries=8, page_backoff_s=0.01)
    ok, error = run_job(lightsail, warehouse, SNAPSHOT)
    assert not ok
    assert error.startswith("every region failed; first error: EndpointConnectionError: Could not connect to the endpoint URL")
    runs = rows(warehouse.path, "select region, status, pages, attempts, resumes, error from extraction_runs order by region")
    assert [r[:5] for r in runs] == [("eu-west-2", "failed", 0, 2, 0), ("us-east-1", "failed", 0, 2, 0)]
    assert all(r[5].startswith("EndpointConnectionError: ") for r in runs)
    assert rows(warehouse.path, "select count(*) from snapshots") == [(0,)]
