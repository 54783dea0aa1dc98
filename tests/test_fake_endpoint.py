"""The fake Lightsail endpoint, exercised with real boto3 clients over HTTP."""

import dataclasses
import datetime as dt
import threading
import urllib.error
import urllib.request
from collections import Counter

import boto3
import botocore.session
import orjson
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from pipelines.fake_endpoint import EndpointConfig, FakeLightsail, generate_fleet, region_sizes
from pipelines.fake_endpoint.pages import encode_token
from pipelines.fake_endpoint.regions import lightsail_regions

REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1")
CONFIG = EndpointConfig(fleet_size=1234, regions=REGIONS, page_size=100, seed=7)
RETRYING = Config(retries={"mode": "standard", "max_attempts": 10})


@pytest.fixture(scope="module")
def fake():
    with FakeLightsail(CONFIG) as server:
        yield server


@pytest.fixture(scope="module")
def records():
    return generate_fleet(CONFIG.fleet_size, list(REGIONS), seed=CONFIG.seed)


def client(url: str, region: str, config: Config | None = None):
    return boto3.client("lightsail", region_name=region, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=config)


def pull(url: str, region: str, config: Config | None = None, **params) -> list[dict]:
    paginator = client(url, region, config).get_paginator("get_instances")
    return [page for page in paginator.paginate(**params)]


def to_wire(value):
    """Undo botocore's parsing (datetimes) so parsed records compare equal to the generated ones."""
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if isinstance(value, dt.datetime):
        return round(value.timestamp(), 3)
    return value


def test_paginator_pulls_every_page_of_every_region(fake, records):
    sizes = region_sizes(CONFIG.fleet_size, list(REGIONS), CONFIG.seed)
    assert sum(sizes.values()) == 1234 and len(set(sizes.values())) == 3
    total = 0
    for region in REGIONS:
        pages = pull(fake.url, region, includeHealthStatus=True)
        counts = [len(p["instances"]) for p in pages]
        assert counts == [100] * (sizes[region] // 100) + [sizes[region] % 100]
        assert "nextPageToken" not in pages[-1] and all("nextPageToken" in p for p in pages[:-1])
        assert fake.request_counts[(region, "GetInstances")] == len(pages)
        # botocore keeps every record and every member: parsed == generated, field for field.
        parsed = [to_wire(i) for p in pages for i in p["instances"]]
        assert parsed == records[region]
        total += len(parsed)
    assert total == CONFIG.fleet_size


def test_parsed_records_keep_the_wire_quirks(fake):
    instances = [i for p in pull(fake.url, "ap-northeast-1", includeHealthStatus=True) for i in p["instances"]]
    system_disks = [d for i in instances for d in i["hardware"]["disks"] if d["isSystemDisk"]]
    assert len(system_disks) == len(instances)
    assert not any({"name", "arn", "supportCode"} & d.keys() for d in system_disks)
    assert {"key": "backup"} in [t for i in instances for t in i["tags"]]
    assert {p["accessType"] for i in instances for p in i["networking"]["ports"]} == {"public", "private"}
    assert 0 < sum("addOns" not in i for i in instances) < len(instances) * 0.3
    created = instances[0]["createdAt"]
    assert created.tzinfo is not None and 2017 <= created.year <= 2026


def test_health_status_only_when_requested(fake):
    for params in ({}, {"includeHealthStatus": False}):
        instances = [i for p in pull(fake.url, "eu-west-1", **params) for i in p["instances"]]
        assert len(instances) == 179
        assert not any("instanceStatus" in i or "systemStatus" in i for i in instances)
    with_health = [i for p in pull(fake.url, "eu-west-1", includeHealthStatus=True) for i in p["instances"]]
    assert all(i["instanceStatus"]["status"] and i["systemStatus"]["status"] for i in with_health)


def test_page_token_is_bound_to_its_region(fake):
    token = client(fake.url, "us-east-1").get_instances()["nextPageToken"]
    out_of_range = encode_token("us-east-1", 99)
    for region, bad in (("eu-west-1", token), ("us-east-1", "not-a-token"), ("us-east-1", out_of_range)):
        with pytest.raises(ClientError) as err:
            client(fake.url, region).get_instances(pageToken=bad)
        assert err.value.response["Error"]["Code"] == "InvalidInputException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(client(fake.url, "us-east-1").get_instances(pageToken=token)["instances"]) == 100


def test_regions_outside_the_fleet(fake):
    empty = client(fake.url, "sa-east-1").get_instances()
    assert empty["instances"] == [] and "nextPageToken" not in empty
    with pytest.raises(ClientError) as err:
        client(fake.url, "xx-nowhere-1").get_instances()
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_get_regions_lists_every_lightsail_region(fake):
    regions = client(fake.url, "us-east-1").get_regions()["regions"]
    assert [r["name"] for r in regions] == sorted(lightsail_regions())
    assert {"us-east-1", "ap-southeast-5", "eu-south-2"} <= {r["name"] for r in regions}
    assert "us-west-1" not in {r["name"] for r in regions}  # no Lightsail there: discovery must not find it
    virginia = next(r for r in regions if r["name"] == "us-east-1")
    assert (virginia["displayName"], virginia["continentCode"], virginia["availabilityZones"]) == (
        "N. Virginia", "NA", [])
    with_zones = client(fake.url, "us-east-1").get_regions(includeAvailabilityZones=True)["regions"]
    zones = next(r for r in with_zones if r["name"] == "us-east-1")["availabilityZones"]
    assert [z["zoneName"] for z in zones][:2] == ["us-east-1a", "us-east-1b"]


def test_unknown_operation_is_rejected(fake):
    request = urllib.request.Request(fake.url, data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Lightsail_20161128.GetNothing",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/lightsail/aws4_request, Signature=x"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400
    assert orjson.loads(err.value.read()) == {"__type": "UnknownOperationException"}


def test_throttles_errors_and_dropped_connections_are_retried(records):
    config = EndpointConfig(fleet_size=CONFIG.fleet_size, regions=REGIONS, throttle_rate=0.15, error_rate=0.15,
                            drop_connection_after_pages=2, fault_seed=3)
    with FakeLightsail(config) as faulty:
        for region in REGIONS:
            pages = pull(faulty.url, region, RETRYING, includeHealthStatus=True)
            assert [to_wire(i) for p in pages for i in p["instances"]] == records[region]
    statuses = Counter(r.status for r in faulty.request_log)
    # Deterministic under fault_seed=3: three throttles, two 500s, and one dropped connection per region.
    assert (statuses[400], statuses[500], statuses[None]) == (3, 2, len(REGIONS))
    assert statuses[200] == sum(-(-n // 100) for n in faulty.sizes.values())


def test_failing_region_raises(fake):
    with FakeLightsail(EndpointConfig(fleet_size=50, regions=("us-east-1", "eu-west-1"),
                                      failing_regions=("eu-west-1",))) as partial:
        with pytest.raises(ClientError) as err:
            pull(partial.url, "eu-west-1", RETRYING)
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
        assert partial.request_counts[("eu-west-1", "GetInstances")] == 1  # not retried
        assert len(pull(partial.url, "us-east-1")[0]["instances"]) == partial.sizes["us-east-1"]


def test_request_log_shows_parallel_pulls():
    config = EndpointConfig(fleet_size=600, regions=REGIONS, page_size=100, latency_s=0.05)
    with FakeLightsail(config) as slow:
        threads = [threading.Thread(target=pull, args=(slow.url, r)) for r in REGIONS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    log = slow.request_log
    assert len(log) == sum(-(-n // 100) for n in slow.sizes.values())
    overlapping = [(a, b) for a in log for b in log
                   if a.region != b.region and a.started < b.ended and b.started < a.ended]
    assert overlapping


def shape_paths(shape, prefix=""):
    for name, member in shape.members.items():
        yield prefix + name
        inner = member.member if member.type_name == "list" else member
        if inner.type_name == "structure":
            yield from shape_paths(inner, f"{prefix}{name}{'[]' if member.type_name == 'list' else ''}.")


def record_paths(value, prefix=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + key
            yield from record_paths(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            yield from record_paths(item, prefix[:-1] + "[].")


def test_fleet_covers_every_member_of_the_instance_shape(records):
    shape = botocore.session.get_session().get_service_model("lightsail").shape_for("Instance")
    expected = set(shape_paths(shape))
    found = {p for region_records in records.values() for r in region_records for p in record_paths(r)}
    assert "hardware.disks[].addOns[].snapshotTimeOfDay" in expected and len(expected) > 90
    assert expected == found


def ports(instance: dict) -> list[dict]:
    return instance["networking"]["ports"]


def first_addon(instance: dict) -> dict:
    return (instance.get("addOns") or [{}])[0]


# quirk -> (predicate, lowest and highest acceptable share of the fleet)
QUIRKS = {
    "key-only tag": (lambda i: any("value" not in t for t in i["tags"]), 0.05, 0.4),
    "empty tag value": (lambda i: any(t.get("value") == "" for t in i["tags"]), 0.03, 0.3),
    "unicode tag value": (lambda i: any(not t.get("value", "").isascii() for t in i["tags"]), 0.1, 0.5),
    "no tags": (lambda i: i["tags"] == [], 0.1, 0.4),
    "older: no addOns, ipv6Addresses, metadataOptions":
        (lambda i: not {"addOns", "ipv6Addresses", "metadataOptions"} & i.keys(), 0.1, 0.2),
    "empty ipv6Addresses": (lambda i: i.get("ipv6Addresses") == [], 0.2, 0.5),
    "browser SSH rule": (lambda i: any(p["cidrs"] == [] and p["cidrListAliases"] == ["lightsail-connect"]
                                       for p in ports(i)), 0.1, 0.5),
    "ipv6 ::/0 rule": (lambda i: any(p["ipv6Cidrs"] == ["::/0"] for p in ports(i)), 0.5, 0.95),
    "all ports": (lambda i: any((p["fromPort"], p["toPort"], p["protocol"]) == (0, 65535, "all") for p in ports(i)),
                  0.03, 0.3),
    "udp": (lambda i: any(p["protocol"] == "udp" for p in ports(i)), 0.03, 0.3),
    "icmp": (lambda i: any(p["protocol"] == "icmp" for p in ports(i)), 0.05, 0.4),
    "rdp": (lambda i: any(p["fromPort"] == 3389 for p in ports(i)), 0.05, 0.2),
    "https": (lambda i: any(p["fromPort"] == 443 for p in ports(i)), 0.2, 0.8),
    "private rule": (lambda i: any(p["accessType"] == "private" for p in ports(i)), 0.03, 0.3),
    "IMDSv1 allowed": (lambda i: i.get("metadataOptions", {}).get("httpTokens") == "optional", 0.1, 0.3),
    "impaired": (lambda i: i["instanceStatus"]["status"] == "impaired"
                 and "impairedSince" in i["instanceStatus"]["details"][0], 0.02, 0.1),
    "no AutoSnapshot": (lambda i: i.get("addOns") == [], 0.15, 0.4),
    "AutoSnapshot enabled": (lambda i: first_addon(i).get("status") == "Enabled", 0.3, 0.7),
    "AutoSnapshot disabled": (lambda i: first_addon(i).get("status") == "Disabled", 0.05, 0.25),
    "attached data disk": (lambda i: any(d.get("attachedTo") == i["name"] and ":Disk/" in d.get("arn", "")
                                         for d in i["hardware"]["disks"]), 0.15, 0.35),
    "no public IPv4": (lambda i: "publicIpAddress" not in i, 0.1, 0.5),
    "stopped": (lambda i: i["state"] == {"code": 80, "name": "stopped"}, 0.1, 0.25),
}


@pytest.mark.parametrize("quirk", QUIRKS)
def test_fleet_contains_each_quirk_in_a_fair_share(records, quirk):
    predicate, lowest, highest = QUIRKS[quirk]
    instances = [i for region_records in records.values() for i in region_records]
    assert lowest <= sum(map(predicate, instances)) / len(instances) <= highest


def test_fleet_is_deterministic_and_spread():
    assert generate_fleet(300, ["us-east-1", "eu-west-1"]) == generate_fleet(300, ["us-east-1", "eu-west-1"])
    assert generate_fleet(300, ["us-east-1"], seed=1) != generate_fleet(300, ["us-east-1"], seed=2)
    assert sorted(region_sizes(4, ["a", "b", "c", "d"]).values()) == [1, 1, 1, 1]
    sizes = region_sizes(10_000, list(lightsail_regions()))
    assert sum(sizes.values()) == 10_000 and min(sizes.values()) >= 1 and len(set(sizes.values())) > 10
    instance = generate_fleet(20, ["eu-west-1"], account_id="999988887777")["eu-west-1"][0]
    assert instance["arn"].startswith("arn:aws:lightsail:eu-west-1:999988887777:Instance/")
    assert instance["location"]["availabilityZone"][:-1] == "eu-west-1"


def test_a_night_of_change_deletes_adds_and_changes_instances_reproducibly(records):
    from pipelines.fake_endpoint.catalog import REFERENCE_TS

    region = "us-east-1"
    before = {i["arn"]: i for i in records[region]}
    with FakeLightsail(dataclasses.replace(CONFIG, day=1)) as night:
        served = [to_wire(i) for p in pull(night.url, region, includeHealthStatus=True) for i in p["instances"]]
        again = [to_wire(i) for p in pull(night.url, region, includeHealthStatus=True) for i in p["instances"]]
    assert served == again  # the same night serves the same fleet
    after = {i["arn"]: i for i in served}
    gone, new = before.keys() - after.keys(), after.keys() - before.keys()
    per_night = -(-len(before) // 50)
    assert len(new) == per_night and all(after[arn]["createdAt"] > REFERENCE_TS for arn in new)
    assert 0 < len(gone) < len(before) * 0.05
    changed = Counter(key for arn in before.keys() & after.keys() for key in after[arn].keys() | before[arn].keys()
                      if after[arn].get(key) != before[arn].get(key))
    assert {"state", "bundleId", "hardware"} <= changed.keys()
    assert changed.keys() <= {"state", "instanceStatus", "systemStatus", "publicIpAddress", "bundleId", "hardware",
                              "networking", "metadataOptions"}
    for arn in before.keys() & after.keys():
        old, cur = before[arn], after[arn]
        if cur["bundleId"] != old["bundleId"]:  # a resize is one size up, hardware and system disk with it
            assert cur["hardware"]["cpuCount"] >= old["hardware"]["cpuCount"]
            assert cur["hardware"]["ramSizeInGb"] > old["hardware"]["ramSizeInGb"]
            system = [d["sizeInGb"] for h in (old, cur) for d in h["hardware"]["disks"] if d["isSystemDisk"]]
            assert system[1] > system[0]
        if cur["state"] != old["state"]:  # stopped or started, after what was pending or stopping got there
            assert cur["state"]["name"] in ("running", "stopped")
            if old["state"]["name"] in ("running", "stopped"):
                assert cur["state"]["name"] != old["state"]["name"]
    assert not any(i["state"]["name"] in ("pending", "stopping") for i in served if i["arn"] in before)
    for inst in served:  # as generated: a dynamic public IPv4 only while running
        dynamic = not inst["isStaticIp"] and inst["ipAddressType"] != "ipv6"
        if dynamic and inst["arn"] in before and inst["state"] != before[inst["arn"]]["state"]:
            assert ("publicIpAddress" in inst) == (inst["state"]["name"] == "running")
