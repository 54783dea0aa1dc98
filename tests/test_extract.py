"""Extraction through real boto3 over HTTP: every page of every region, raw bodies kept."""

import orjson
import pytest
from botocore.exceptions import ClientError

from pipelines.extract import ClientSettings, MalformedPage, RegionStats, iter_pages, make_client
from pipelines.page import decode_page, page_token
from tests.conftest import FLEET


def test_every_page_of_every_region_is_pulled(endpoint, fleet):
    settings = ClientSettings(endpoint_url=endpoint.url)
    for region in FLEET.regions:
        stats = RegionStats()
        pages = list(iter_pages(make_client(settings, region), stats=stats))
        expected = fleet[region]
        assert len(pages) == -(-len(expected) // FLEET.page_size) > 1  # several pages
        assert 0 < len(pages[-1].records) < FLEET.page_size  # the last one short
        assert [r["arn"] for p in pages for r in p.records] == [r["arn"] for r in expected]
        assert stats.pages == len(pages) and stats.attempts == len(pages)


def test_raw_body_is_kept_exactly_and_tokens_stay_in_their_region(endpoint):
    client = make_client(ClientSettings(endpoint_url=endpoint.url), "eu-west-2")
    pages = list(iter_pages(client))
    first = orjson.loads(pages[0].body)
    assert first["instances"] == pages[0].records
    assert "nextPageToken" in first and "nextPageToken" not in orjson.loads(pages[-1].body)
    other = make_client(ClientSettings(endpoint_url=endpoint.url), "us-east-1")
    with pytest.raises(ClientError, match="InvalidInputException"):
        other.get_instances(pageToken=first["nextPageToken"])


def test_health_status_is_asked_for_by_default_and_can_be_switched_off(endpoint):
    client = make_client(ClientSettings(endpoint_url=endpoint.url), "us-east-1")
    with_health = next(iter_pages(client)).records
    without = next(iter_pages(client, include_health_status=False)).records
    assert all("instanceStatus" in r for r in with_health)
    assert not any("instanceStatus" in r or "systemStatus" in r for r in without)


def test_malformed_page_is_a_clear_error(tmp_path):
    from pipelines.extract import _keep_raw_body
    from pipelines.normalise import Snapshot
    from pipelines.staging import RegionStager
    from tests.conftest import SNAPSHOT

    with pytest.raises(MalformedPage, match="not JSON"):  # no token can be read: the listing stops here
        _keep_raw_body({"status_code": 200, "body": b"<html>"}, {})
    with pytest.raises(MalformedPage, match="instances"):
        decode_page(b'{"instances": {}}')
    stager = RegionStager(tmp_path / "staged", Snapshot(SNAPSHOT, "1", "us-east-1"))
    stager.add_page(0, b'{"instances": [], "nextPageToken": "a"}')
    stager.add_page(1, b'{"instances": {"not": "a list"}}')
    with pytest.raises(MalformedPage, match="page 1: .*instances"):  # staging names the page
        stager.close()


def test_page_token_is_read_without_decoding_and_only_at_the_top_level():
    assert page_token(b'{"instances":[{"arn":"a"}],"nextPageToken":"t1"}') == "t1"
    assert page_token(b'{"nextPageToken":"t2","instances":[]}') == "t2"
    assert page_token(b'{"instances":[{"tags":[{"key":"nextPageToken","value":"x"}]}]}') is None
    # a nested object holding the key, last in the document: not the page's token
    assert page_token(b'{"instances":[{"x":{"nextPageToken":"no"}}]}') is None
    assert page_token(b'{"instances":[{"x":{"nextPageToken":"no"}}],"nextPageToken":"yes"}') == "yes"
    assert page_token(b'{ "instances" : [ ] ,\n "nextPageToken" : "t3" }\n') == "t3"
    assert page_token(b'{"instances":[],"nextPageToken":"a\\"b"}') == 'a"b'


def test_a_stopping_run_does_not_wait_out_botocores_retries(tmp_path):
    import threading

    from pipelines.extract import Stopped
    from tests.conftest import closed_port_url

    stop, calls = threading.Event(), []
    client = make_client(ClientSettings(endpoint_url=closed_port_url(), max_attempts=10), "us-east-1")

    def interrupt_on_second_attempt(**_):
        calls.append(1)
        if len(calls) == 2:
            stop.set()  # Ctrl-C arrives while botocore is retrying a refused connection

    client.meta.events.register("before-send.lightsail.GetInstances", interrupt_on_second_attempt)
    stats = RegionStats()
    with pytest.raises(Stopped):
        list(iter_pages(client, stats=stats, stop=stop))
    assert stats.attempts == 2  # not the 10 botocore would make, with back-off between them
    assert stats.resumes == 0

    with pytest.raises(Stopped):  # a run already stopping sends nothing
        list(iter_pages(client, stats=(idle := RegionStats()), stop=stop))
    assert idle.attempts == 0
