"""Which regions to read: validation of configured names, regions without Lightsail, discovery through GetRegions."""

import re
from dataclasses import dataclass, field

import botocore.session

from pipelines.accounts import account_session
from pipelines.extract import make_client

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ZONE = re.compile(r"^([a-z]{2}(-gov)?-[a-z]+-\d)[a-z]$")
DISCOVERY_REGION = "us-east-1"


class RegionError(ValueError):
    """A configured region name that cannot be right."""


@dataclass(frozen=True)
class RegionSelection:
    """The regions to read, those skipped with the reason, and warnings worth recording with the run."""

    regions: list
    skipped: dict = field(default_factory=dict)  # region -> why it is not read
    warnings: list = field(default_factory=list)


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


def without_lightsail(regions, supported=None):
    """{region: reason} for the well-formed regions where Lightsail does not exist: skipped, not failed.

    Only botocore's endpoint data is consulted; a connection that fails at run time stays a failure,
    because from here a missing endpoint and a network outage look alike.
    """
    supported = set(lightsail_regions() if supported is None else supported)
    return {
        region: f"Lightsail is not available in {region} (not in botocore's Lightsail endpoint list)"
        for region in regions
        if region not in supported
    }


def select_regions(configured, client_settings, account):
    """The configured regions (validated, those without Lightsail skipped), else the discovered ones."""
    if configured:
        regions = validate_regions(configured)
        skipped = without_lightsail(regions)
        return RegionSelection([r for r in regions if r not in skipped], skipped)
    return discover_regions(client_settings, account)


def discover_regions(client_settings, account):
    """Every region GetRegions lists (asked in us-east-1); botocore's list, with a warning, if that fails."""
    try:
        client = make_client(client_settings, DISCOVERY_REGION, account_session(account, client_settings))
        return RegionSelection(sorted(r["name"] for r in client.get_regions()["regions"]))
    except Exception as error:  # discovery is a convenience; botocore's own list is a sound fallback
        fallback = sorted(lightsail_regions())
        warning = (f"region discovery (GetRegions in {DISCOVERY_REGION}) failed: {type(error).__name__}: {error}; "
                   f"reading botocore's {len(fallback)} Lightsail regions instead")
        return RegionSelection(fallback, warnings=[warning])
