"""Whole-estate extraction: the raw landing zone, streaming in bounded batches, request accounting, thread safety."""

import math
import weakref

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.accounts import Account
from pipelines.extract import ClientSettings, RegionStats, iter_pages, make_client
from pipelines.landing import RunFolder
from pipelines.snapshot import RunPlan, extract_run
from tests.conftest import FLEET, SNAPSHOT
from tests.estate_helpers import requests_by_pair

ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def plan(endpoint):
    return RunPlan(SNAPSHOT, list(FLEET.regions), [Account()], ClientSettings(endpoint_url=endpoint.url))


def test_every_page_lands_raw_exactly_as_served_one_file_per_page(plan, endpoint, tmp_path):
    folder, manifest = extract_run(plan, tmp_path)
    for entry in manifest["regions"]:
        region = entry["region"]
        files = sorted(folder.raw_dir("default", region).glob("*.json.zst"))
        expected = [endpoint.pages.page(region, i, True) for i in range(endpoint.pages.page_count(region))]
        assert [f.name for f in files] == [f"page-{i:05d}.json.zst" for i in range(len(expected))]
        assert list(folder.raw_pages("default", region)) == expected
        assert (entry["status"], entry["pages"], entry["instances"]) == ("ok", len(expected), endpoint.sizes[region])
    assert RunFolder(tmp_path, SNAPSHOT, folder.run_id).read_manifest() == manifest


def _zstd_decompress(data):
    return pa.input_stream(pa.py_buffer(data), compression="zstd").read()


def test_landing_zone_holds_no_credentials_or_signatures(plan, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN")
    folder, manifest = extract_run(plan, tmp_path)
    assert all(r["status"] == "ok" for r in manifest["regions"])
    files = [f for f in folder.path.rglob("*") if f.is_file()]
    assert len(files) > 10
    for file in files:
        data = file.read_bytes()
        text = _zstd_decompress(data) if file.name.endswith(".zst") else data
        for needle in (ACCESS_KEY, SECRET_KEY, "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", "Signature", "Authorization",
                       "X-Amz-Security-Token", "AWS4-HMAC-SHA256"):
            assert needle.encode() not in text, f"{needle} found in {file}"


def test_a_region_larger_than_the_batch_is_staged_in_several_parts(plan, endpoint, tmp_path):
    plan.batch_records = 40  # ~80 KB of bodies: every full page of 50 instances (~100 KB) makes a part
    folder, manifest = extract_run(plan, tmp_path)
    for region in FLEET.regions:
        parts = sorted((folder.staged_dir("default", region) / "instances").glob("part-*.parquet"))
        rows = [pq.ParquetFile(p).metadata.num_rows for p in parts]
        # Several bounded parts, none holding the whole region, together holding all of it.
        assert sum(rows) == endpoint.sizes[region]
        assert len(parts) == math.ceil(endpoint.sizes[region] / FLEET.page_size) > 1
        assert max(rows) <= FLEET.page_size


def test_pages_are_not_kept_after_they_are_handed_on(endpoint):
    """The extract loop is a generator: a page consumed and dropped is freed while the listing goes on."""
    refs, region = [], max(FLEET.regions, key=endpoint.pages.page_count)
    for page in iter_pages(make_client(ClientSettings(endpoint_url=endpoint.url), region)):
        refs.append(weakref.ref(page))
        del page  # freed at once by reference counting unless something upstream still holds it
        assert sum(ref() is not None for ref in refs) == 0
    assert len(refs) == endpoint.pages.page_count(region) > 3


def test_attempts_count_every_http_request_of_the_region(tmp_path):
    from pipelines.fake_endpoint import EndpointConfig, FakeLightsail

    config = EndpointConfig(fleet_size=300, regions=("eu-west-2", "ap-southeast-2"), page_size=40,
                            error_rate=0.3, drop_connection_after_pages=3, fault_seed=5)
    with FakeLightsail(config) as faulty:
        plan = RunPlan(SNAPSHOT, list(config.regions), [Account()], ClientSettings(endpoint_url=faulty.url))
        _, manifest = extract_run(plan, tmp_path)
    sent = requests_by_pair(faulty.request_log)
    for entry in manifest["regions"]:
        assert entry["status"] == "ok"
        assert entry["attempts"] == sent[(config.account_id, entry["region"])] > entry["pages"]
        assert entry["instances"] == faulty.sizes[entry["region"]]


def test_many_accounts_and_regions_share_the_pool_safely(endpoint, tmp_path):
    """Clients are built from the accounts' sessions while other regions already pull: 12 pairs on 8 workers."""
    accounts = [Account(name=f"acct{i}") for i in range(4)]
    plan = RunPlan(SNAPSHOT, list(FLEET.regions), accounts, ClientSettings(endpoint_url=endpoint.url), max_workers=8)
    _, manifest = extract_run(plan, tmp_path)
    assert [(r["account"], r["region"], r["status"]) for r in manifest["regions"]] == [
        (a.name, region, "ok") for a in accounts for region in FLEET.regions
    ]
    assert {r["instances"] for r in manifest["regions"] if r["region"] == "us-east-1"} == {endpoint.sizes["us-east-1"]}


def test_region_stats_restart_forgets_pages_but_keeps_requests():
    stats = RegionStats(pages=3, instances=150, attempts=5)
    stats.restart()
    assert (stats.pages, stats.instances, stats.attempts, stats.restarts) == (0, 0, 5, 1)


def test_an_interrupted_run_stops_its_regions_between_pages_and_writes_no_manifest(tmp_path):
    """Ctrl-C (or a terminated Dagster run) reaches the main thread; the region threads stop after the page in
    hand instead of reading every remaining page first."""
    import signal
    import threading

    from pipelines.fake_endpoint import EndpointConfig, FakeLightsail

    regions = ("us-east-1", "eu-west-2", "ap-southeast-2")
    config = EndpointConfig(fleet_size=1200, regions=regions, page_size=4, latency_s=0.01)  # ~100 pages a region
    main_thread, sent = threading.get_ident(), threading.Event()

    def interrupt_once_pages_arrive(account, region, stats):  # Ctrl-C once a region has read a few pages
        if stats.pages >= 3 and not sent.is_set():
            sent.set()
            signal.pthread_kill(main_thread, signal.SIGINT)

    with FakeLightsail(config) as endpoint:
        pages = {region: endpoint.pages.page_count(region) for region in regions}
        plan = RunPlan(SNAPSHOT, list(regions), [Account()], ClientSettings(endpoint_url=endpoint.url))
        with pytest.raises(KeyboardInterrupt):
            extract_run(plan, tmp_path, run_id="stopped", progress=interrupt_once_pages_arrive)
        threads_after = {t.name for t in threading.enumerate() if t.is_alive()}
    folder = RunFolder(tmp_path, SNAPSHOT, "stopped")
    assert not (folder.path / "manifest.json").exists()
    landed = {region: folder.raw_page_count("default", region) for region in regions}
    # every page read was landed (for diagnosis), and no region read on to its end
    assert max(landed.values()) >= 3 and all(landed[region] < pages[region] for region in regions), (landed, pages)
    assert not any(name.startswith("ThreadPoolExecutor") for name in threads_after)  # none left reading
