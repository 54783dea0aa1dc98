"""Nights of change: the generated fleet as it is `day` nights after the one `generate_chunk` builds.

Each night every instance draws once from its own seeded stream: about 2% are deleted, 4% stopped or started
(and those pending or stopping a night ago are running or stopped),
1.5% resized one bundle up, 1.5% get SSH opened to the world, 1% allow IMDSv1 again; and each region gains 2%
of its size in new instances, created that night. The same (seed, region, index, night) always gives the same
change, so any day can be served again. The demo loads two nights, so the change views have something to show.
"""

import random

from pipelines.fake_endpoint import catalog as cat

DAY_S = 86_400
_DELETE, _FLIP, _RESIZE, _OPEN_SSH, _IMDSV1 = 0.02, 0.06, 0.075, 0.09, 0.10  # cumulative shares per night
_SIZES = list(cat.BUNDLE_SIZES)


def added_per_night(base_count: int) -> int:
    """New instances a region of `base_count` gains each night (2%, at least one)."""
    return -(-base_count // 50) if base_count else 0


def grown_size(base_count: int, day: int) -> int:
    """Instance indices the region serves on `day` (deleted ones included: they are skipped when served)."""
    return base_count + day * added_per_night(base_count)


def as_of(inst: dict, *, region: str, index: int, base_count: int, seed: int, day: int,
          day_zero_ts: float = cat.REFERENCE_TS) -> dict | None:
    """The instance after `day` nights, or None once deleted. `inst` is read-only: changes copy what they touch.

    `day_zero_ts` is the start of day 0: an instance added on night n is created during the day before day n.
    """
    born = 0 if index < base_count else 1 + (index - base_count) // added_per_night(base_count)
    if born:
        inst = _created(inst, day_zero_ts + (born - 1) * DAY_S + 3_600 + index % 72_000)
    for night in range(born + 1, day + 1):
        rng = random.Random(f"{seed}:{region}:{index}:night{night}")
        u = rng.random()
        if u < _DELETE:
            return None
        inst = _settle(inst, rng)  # what was pending or stopping a night ago has got there
        if u < _FLIP:
            inst = _start_or_stop(inst, rng)
        elif u < _RESIZE:
            inst = _resize(inst)
        elif u < _OPEN_SSH:
            inst = _open_ssh(inst)
        elif u < _IMDSV1:
            inst = _allow_imdsv1(inst)
    return inst


def _created(inst, at):
    hardware = inst["hardware"]
    disks = [{**disk, "createdAt": at} if disk.get("isSystemDisk") else disk for disk in hardware["disks"]]
    return {**inst, "createdAt": at, "hardware": {**hardware, "disks": disks}}


def _settle(inst, rng):
    name = inst["state"]["name"]
    if name == "pending":
        return _with_state(inst, True, rng)
    if name == "stopping":
        return _with_state(inst, False, rng)
    return inst


_NOT_APPLICABLE = {"status": "not-applicable", "details": []}
_OK = {"status": "ok", "details": [{"name": "reachability", "status": "passed"}]}


def _start_or_stop(inst, rng):
    name = inst["state"]["name"]
    if name not in ("running", "stopped"):
        return inst
    return _with_state(inst, name == "stopped", rng)


def _with_state(inst, running, rng):
    """Running or stopped, with what follows as in the generator: health, and a dynamic public IPv4 released on
    stop and a new one drawn on start (a static IP stays; IPv6-only instances have none)."""
    inst = {**inst, "state": {"code": 16, "name": "running"} if running else {"code": 80, "name": "stopped"}}
    if "instanceStatus" in inst:
        status = _OK if running else _NOT_APPLICABLE
        inst["instanceStatus"], inst["systemStatus"] = status, status
    if not inst.get("isStaticIp") and inst.get("ipAddressType") != "ipv6":
        inst.pop("publicIpAddress", None)
        if running:
            bits = rng.getrandbits(40)
            octet = cat.PUBLIC_FIRST_OCTETS[bits % len(cat.PUBLIC_FIRST_OCTETS)]
            inst["publicIpAddress"] = f"{octet}.{(bits >> 8) & 255}.{(bits >> 16) & 255}.{(bits >> 24) % 254 + 1}"
    return inst


def _resize(inst):
    size, _, rest = inst["bundleId"].partition("_")
    if size not in _SIZES or size == _SIZES[-1]:
        return inst
    bigger = _SIZES[_SIZES.index(size) + 1]
    cpu, ram, disk_gb, transfer, _ = cat.BUNDLE_SIZES[bigger]
    networking = {**inst["networking"], "monthlyTransfer": {"gbPerMonthAllocated": transfer}}
    # the system disk comes with the bundle (as the generator sizes it)
    disks = [{**d, "sizeInGb": disk_gb, "iops": max(100, 3 * disk_gb)} if d.get("isSystemDisk") else d
             for d in inst["hardware"]["disks"]]
    hardware = {**inst["hardware"], "cpuCount": cpu, "ramSizeInGb": ram, "disks": disks}
    return {**inst, "bundleId": f"{bigger}_{rest}", "hardware": hardware, "networking": networking}


def _open_ssh(inst):
    ports = inst["networking"]["ports"]
    if any(p["protocol"] in ("tcp", "all") and p["fromPort"] <= 22 <= p["toPort"] and "0.0.0.0/0" in p["cidrs"]
           for p in ports):
        return inst
    return {**inst, "networking": {**inst["networking"], "ports": [*ports, cat.SSH_TO_WORLD]}}


def _allow_imdsv1(inst):
    options = inst.get("metadataOptions")
    if not options or options["httpTokens"] != "required":
        return inst
    return {**inst, "metadataOptions": {**options, "httpTokens": "optional"}}
