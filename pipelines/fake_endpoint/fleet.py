"""Deterministic generator of Lightsail instance records exactly as GetInstances puts them on the wire."""

import random
import zlib
from bisect import bisect
from itertools import accumulate

from pipelines.fake_endpoint import catalog as cat
from pipelines.gc_pause import gc_paused
from pipelines.fake_endpoint import records as rec

# Instances are generated in fixed-size chunks, each with its own seeded RNG, so any page can be
# rebuilt on its own (the server never holds a whole 1M fleet) and the content never depends on page size.
CHUNK = 512
OLD_SHARE = 0.15

_BLUEPRINT_IDS = list(cat.BLUEPRINTS)
_BLUEPRINT_CUM = list(accumulate(b[3] for b in cat.BLUEPRINTS.values()))
_SIZE_NAMES = list(cat.BUNDLE_SIZES)
_SIZE_CUM = list(accumulate(s[4] for s in cat.BUNDLE_SIZES.values()))
_STATE_CUM = list(accumulate(s[2] for s in cat.STATES))
_STATES = [{"code": code, "name": name} for code, name, _ in cat.STATES]


def region_sizes(size: int, regions: list[str], seed: int = 7) -> dict[str, int]:
    """Split `size` over `regions` with seeded, unequal weights; each region gets one first when possible."""
    rng = random.Random(seed)
    weights = [0.3 + rng.random() ** 2 * 3 for _ in regions]
    base = 1 if size >= len(regions) else 0
    rest = size - base * len(regions)
    shares = [rest * w / sum(weights) for w in weights]
    counts = [base + int(s) for s in shares]
    # Hand the rounding leftovers to the largest fractional parts (ties by position).
    order = sorted(range(len(regions)), key=lambda i: (int(shares[i]) - shares[i], i))
    for i in order[: size - sum(counts)]:
        counts[i] += 1
    return dict(zip(regions, counts))


def generate_fleet(size: int, regions: list[str], seed: int = 7,
                   account_id: str = "123456789012") -> dict[str, list[dict]]:
    """Per region, the wire-format instance records; nested lists/dicts are shared, treat them as read-only."""
    fleet = {}
    with gc_paused():
        for region, count in region_sizes(size, regions, seed).items():
            fleet[region] = [
                inst
                for chunk in range((count + CHUNK - 1) // CHUNK)
                for inst in generate_chunk(region, chunk, count, seed=seed, account_id=account_id)
            ]
    return fleet


def generate_chunk(region: str, chunk: int, count: int, *, seed: int = 7, account_id: str = "123456789012",
                   include_health: bool = True) -> list[dict]:
    """Instances [chunk*CHUNK, min(count, (chunk+1)*CHUNK)) of a region holding `count` instances."""
    # A str seed is hashed with SHA-512 by random.Random, so it is stable across processes.
    rng = random.Random(f"{seed}:{region}:{chunk}")
    ctx = _region_context(region, account_id)
    start, stop = chunk * CHUNK, min(count, (chunk + 1) * CHUNK)
    return [_instance(rng, ctx, index, include_health) for index in range(start, stop)]


def _region_context(region: str, account_id: str) -> dict:
    letters = cat.AZ_LETTERS.get(region, "abc")
    return {
        "region": region,
        "account": account_id,
        "locations": [{"availabilityZone": region + x, "regionName": region} for x in letters],
        "ipv6_prefix": f"2600:1f{zlib.crc32(region.encode()) % 256:02x}",
    }


def _instance(rng: random.Random, ctx: dict, index: int, include_health: bool) -> dict:
    blueprint = _BLUEPRINT_IDS[bisect(_BLUEPRINT_CUM, rng.random() * _BLUEPRINT_CUM[-1])]
    bp_name, username, windows, _ = cat.BLUEPRINTS[blueprint]
    size = _SIZE_NAMES[bisect(_SIZE_CUM, rng.random() * _SIZE_CUM[-1])]
    state = _STATES[bisect(_STATE_CUM, rng.random() * _STATE_CUM[-1])]
    old = rng.random() < OLD_SHARE
    created = round(rng.uniform(*(cat.OLD_ERA if old else cat.NEW_ERA)), 3)
    location = rec.pick(rng, ctx["locations"])
    name = _name(rng, index, blueprint)
    ip_type = "ipv4" if old else rec.pick(rng, ("dualstack", "dualstack", "ipv4", "ipv4", "ipv6"))
    if windows and ip_type == "ipv6":  # Lightsail has no IPv6-only Windows bundles
        ip_type = "dualstack"
    bundle = f"{size}_{'win_' if windows else ''}{'ipv6_' if ip_type == 'ipv6' else ''}3_0"
    inst = {
        "name": name,
        "arn": f"arn:aws:lightsail:{ctx['region']}:{ctx['account']}:Instance/{rec.uuid4(rng)}",
        "supportCode": f"{ctx['account']}/i-{rng.getrandbits(68):017x}",
        "createdAt": created,
        "location": location,
        "resourceType": "Instance",
        "tags": rec.pick(rng, cat.INSTANCE_TAG_SETS),
        "blueprintId": blueprint,
        "blueprintName": bp_name,
        "bundleId": bundle,
    }
    addons = rec.addons(rng)
    if not old:  # instances older than these features never got the keys at all
        inst["addOns"] = addons
    inst.update(rec.addresses(rng, ctx, ip_type, state["code"], old))
    inst["hardware"] = rec.hardware(rng, ctx, inst, size, location)
    inst["networking"] = rec.networking(rng, size, windows, blueprint)
    inst["state"] = state
    inst["username"] = username
    inst["sshKeyName"] = rec.pick(rng, cat.SSH_KEYS)
    metadata = rec.metadata_options(rng, ip_type)
    if not old:
        inst["metadataOptions"] = metadata
    health = rec.health(rng, state["name"])
    if include_health:
        inst["instanceStatus"], inst["systemStatus"] = health
    return inst


def _name(rng: random.Random, index: int, blueprint: str) -> str:
    if rng.random() < 0.3:  # the console's default naming, e.g. "Ubuntu-12"
        return f"{cat.BLUEPRINTS[blueprint][0].replace(' ', '_')}-{index + 1}"
    return f"{rec.pick(rng, cat.ROLES)}-{rec.pick(rng, cat.ENVS)}-{index + 1:05d}"
