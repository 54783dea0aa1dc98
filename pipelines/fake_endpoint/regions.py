"""The real Lightsail regions and their GetRegions records, read from botocore's model and endpoint data."""

from functools import cache

import botocore.loaders
import botocore.regions

from pipelines.fake_endpoint.catalog import AZ_LETTERS

_CONTINENTS = {"us": "NA", "ca": "NA", "sa": "SA", "eu": "EU", "ap": "AP"}


@cache
def lightsail_regions() -> tuple[str, ...]:
    """Regions botocore's endpoint data lists for Lightsail: where it exists, as the real GetRegions answers.

    (The model's RegionName enum is not that list: it is shared with other services and names us-west-1,
    which has no Lightsail; the product skips such a region when it is configured.)
    """
    resolver = botocore.regions.EndpointResolver(_endpoint_data())
    return tuple(sorted(r for p in resolver.get_available_partitions() for r in resolver.get_available_endpoints("lightsail", p)))


@cache
def _endpoint_data():
    """botocore's bundled endpoint data, read without a session (no AWS profile needed to serve a fake fleet)."""
    return botocore.loaders.create_loader().load_data("endpoints")


@cache
def region_records(include_azs: bool = False, include_database_azs: bool = False) -> tuple[dict, ...]:
    """GetRegions `regions` entries; availability zones are listed only when asked for, as the API does."""
    names = _aws_region_names()
    records = []
    for region in lightsail_regions():
        # "US East (N. Virginia)" -> "N. Virginia"
        display = names.get(region, region).rpartition("(")[2].rstrip(")")
        zones = [{"zoneName": region + x, "state": "available"} for x in AZ_LETTERS.get(region, "abc")]
        records.append({
            "continentCode": _CONTINENTS.get(region.split("-")[0], "NA"),
            "description": f"This region is recommended to serve users in or near {display}",
            "displayName": display,
            "name": region,
            "availabilityZones": zones if include_azs else [],
            "relationalDatabaseAvailabilityZones": zones if include_database_azs else [],
        })
    return tuple(records)


def _aws_region_names() -> dict[str, str]:
    partitions = _endpoint_data()["partitions"]
    aws = next(p for p in partitions if p["partition"] == "aws")
    return {name: info.get("description", name) for name, info in aws["regions"].items()}
