"""Which regions to read: validation of configured names and discovery through GetRegions."""

import re

import botocore.session

from pipelines.accounts import account_session
from pipelines.extract import make_client

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ZONE = re.compile(r"^([a-z]{2}(-gov)?-[a-z]+-\d)[a-z]$")


class RegionError(ValueError):
    """A configured region name that cannot be right."""


def lightsail_regions():
    """Regions where botocore's endpoint data says Lightsail exists."""
    return botocore.session.get_session().get_available_regions("lightsail")


def validate_regions(regions):
    """Check names; an availability zone given as a region is a configuration error, said plainly."""
    checked = []
    for region in regions:
        zone = _ZONE.match(region)
        if zone:
            raise RegionError(f"{region!r} is an availability zone, not a region; did you mean {zone.group(1)!r}?")
        if not _REGION.match(region):
            raise RegionError(f"{region!r} is not an AWS region name (expected something like 'eu-west-2')")
        if region not in checked:
            checked.append(region)
    return checked


def discover_regions(client_settings, account):
    """Every region GetRegions lists (asked in us-east-1), falling back to botocore's list."""
    try:
        client = make_client(client_settings, "us-east-1", account_session(account, client_settings))
        return sorted(r["name"] for r in client.get_regions()["regions"])
    except Exception:  # discovery is a convenience; botocore's own list is a sound fallback
        return sorted(lightsail_regions())
