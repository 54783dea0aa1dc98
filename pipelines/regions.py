"""Which regions to read: validation of configured names, regions without Lightsail, discovery through GetRegions."""

import difflib
import re
from dataclasses import dataclass, field
from functools import cache

import botocore.loaders
import botocore.model
import botocore.regions

from pipelines.accounts import account_session
from pipelines.extract import make_client, unreachable

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ZONE = re.compile(r"^([a-z]{2}(-gov)?-[a-z]+-\d)[a-z]$")
DISCOVERY_REGION = "us-east-1"


class RegionError(ValueError):
    """A configured region name that cannot be right."""


class EndpointUnreachable(Exception):
    """Region discovery could not connect to the endpoint at all: every region would fail the same way."""


@dataclass(frozen=True)
class RegionSelection:
    """The regions to read, those skipped with the reason, and warnings worth recording with the run."""

    regions: list
    skipped: dict = field(default_factory=dict)  # region -> why it is not read
    warnings: list = field(default_factory=list)


@cache
def _botocore_data():
    """botocore's bundled data, read without a session: no profile or credentials are involved (a missing
    AWS_PROFILE must not break commands that need none, e.g. the demo)."""
    return botocore.loaders.create_loader()


def lightsail_regions():
    """Regions where botocore's endpoint data says Lightsail exists."""
    resolver = botocore.regions.EndpointResolver(_botocore_data().load_data("endpoints"))
    return [r for p in resolver.get_available_partitions() for r in resolver.get_available_endpoints("lightsail", p)]


@cache
def known_regions():
    """Every region botocore's endpoint data names, in any partition or for any service, and Lightsail's modelled ones."""
    model = botocore.model.ServiceModel(_botocore_data().load_service_model("lightsail", "service-2"), "lightsail")
    names = set(model.shape_for("RegionName").enum) | set(lightsail_regions())
    for partition in _botocore_data().load_data("endpoints")["partitions"]:
        names.update(partition.get("regions", {}))
        for service in partition.get("services", {}).values():
            names.update(service.get("endpoints", {}))
    return frozenset(names)


def validate_regions(regions):
    """Check names; an availability zone or a misspelt region is a configuration error, said plainly.

    A real region without Lightsail passes (it is skipped later, see `without_lightsail`).
    """
    checked = []
    for region in regions:
        if region != region.lower() and region.lower() in known_regions():
            raise RegionError(f"{region!r}: region names are lower case; did you mean {region.lower()!r}?")
        zone = _ZONE.match(region)
        if zone:
            raise RegionError(f"{region!r} is an availability zone, not a region; did you mean {zone.group(1)!r}?")
        if not _REGION.match(region):
            raise RegionError(f"{region!r} is not an AWS region name (expected something like 'eu-west-2')")
        if region not in known_regions():
            raise RegionError(f"{region!r} is not an AWS region botocore knows; {_suggestion(region)}")
        if region not in checked:
            checked.append(region)
    return checked


def _suggestion(region):
    """'did you mean ...?' from Lightsail's regions first, then from every known region."""
    for candidates in (lightsail_regions(), known_regions()):
        close = difflib.get_close_matches(region, sorted(candidates), n=1)
        if close:
            return f"did you mean {close[0]!r}?"
    return "check the spelling (or upgrade botocore if the region is new)"


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
        if len(skipped) == len(regions):  # a run that would read nothing and succeed: a mistake, said plainly
            raise RegionError(
                f"Lightsail is not available in {', '.join(regions)} (not in botocore's Lightsail endpoint list): "
                f"nothing to read; {_suggestion(regions[0])}"
            )
        return RegionSelection([r for r in regions if r not in skipped], skipped)
    return discover_regions(client_settings, account)


def discover_regions(client_settings, account):
    """Every region GetRegions lists (asked in us-east-1); botocore's list, with a warning, if that fails.

    An endpoint that cannot be reached at all stops the run here: each region would only fail the same way.
    """
    try:
        client = make_client(client_settings, DISCOVERY_REGION, account_session(account, client_settings))
        return RegionSelection(sorted(r["name"] for r in client.get_regions()["regions"]))
    except Exception as error:  # discovery is a convenience; botocore's own list is a sound fallback
        if unreachable(error):
            raise EndpointUnreachable(
                f"cannot reach the Lightsail endpoint to discover regions (GetRegions in {DISCOVERY_REGION}): "
                f"{type(error).__name__}: {error}; check the endpoint URL and the network, or name the regions (--regions, lightsail.regions)"
            ) from None
        fallback = sorted(lightsail_regions())
        warning = (f"region discovery (GetRegions in {DISCOVERY_REGION}) failed: {type(error).__name__}: {error}; "
                   f"reading botocore's {len(fallback)} Lightsail regions instead")
        return RegionSelection(fallback, warnings=[warning])
