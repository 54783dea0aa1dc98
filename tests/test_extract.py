"""Extraction through real boto3 over HTTP: every page of every region, raw bodies kept."""

import orjson
import pytest
from botocore.exceptions import ClientError

from pipelines.extract import ClientSettings, MalformedPage, RegionStats, iter_pages, make_client
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
        assert stats.pages == len(pages) and stats.instances == len(expected)


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


def test_malformed_page_is_a_clear_error():
    from pipelines.extract import _keep_raw_body

    with pytest.raises(MalformedPage, match="not JSON"):
        _keep_raw_body({"status_code": 200, "body": b"<html>"}, {})
    with pytest.raises(MalformedPage, match="instances"):
        _keep_raw_body({"status_code": 200, "body": b'{"instances": {}}'}, {})
