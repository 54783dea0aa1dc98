"""Builders for the nested parts of a generated Lightsail instance record (addresses, disks, ports, health)."""

import random

from pipelines.fake_endpoint import catalog as cat


def pick(rng: random.Random, seq):
    # random.choice is several times slower; the fleet makes millions of picks.
    return seq[int(rng.random() * len(seq))]


def uuid4(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def addons(rng: random.Random) -> list[dict]:
    u, hour = rng.random(), f"{int(rng.random() * 24):02d}:00"
    if u < 0.3:
        return []
    snapshot = {"name": "AutoSnapshot", "status": "Disabled" if u < 0.45 else "Enabled",
                "snapshotTimeOfDay": hour, "nextSnapshotTimeOfDay": hour}
    if u < 0.9:
        return [snapshot]
    return [snapshot, _STOP_ON_IDLE]


_STOP_ON_IDLE = {"name": "StopInstanceOnIdle", "status": "Enabled", "threshold": "5", "duration": "30"}


def addresses(rng: random.Random, ctx: dict, ip_type: str, state_code: int, old: bool) -> dict:
    bits = rng.getrandbits(64)
    static = rng.random() < 0.2
    out = {"isStaticIp": static, "privateIpAddress": f"172.26.{bits & 255}.{(bits >> 8) % 254 + 1}"}
    # Stopped instances lose a dynamic public IPv4; IPv6-only instances never had one.
    if ip_type != "ipv6" and (static or state_code in (16, 64)):
        octet = cat.PUBLIC_FIRST_OCTETS[(bits >> 16) % len(cat.PUBLIC_FIRST_OCTETS)]
        out["publicIpAddress"] = f"{octet}.{(bits >> 24) & 255}.{(bits >> 32) & 255}.{(bits >> 40) % 254 + 1}"
    if not old:
        v6 = rng.getrandbits(64)
        host = f"{v6 & 0xFFFF:x}:{(v6 >> 16) & 0xFFFF:x}:{(v6 >> 32) & 0xFFFF:x}:{v6 >> 48:x}"
        out["ipv6Addresses"] = [] if ip_type == "ipv4" else [f"{ctx['ipv6_prefix']}:{v6 & 0xFF:x}00:{host}:1"]
    out["ipAddressType"] = ip_type
    return out


def hardware(rng: random.Random, ctx: dict, inst: dict, size: str, location: dict) -> dict:
    cpu, ram, disk_gb, _, _ = cat.BUNDLE_SIZES[size]
    # Real AWS omits name, arn and supportCode on the system disk.
    disks = [{"createdAt": inst["createdAt"], "sizeInGb": disk_gb, "isSystemDisk": True,
              "iops": max(100, 3 * disk_gb), "path": "/dev/xvda", "attachedTo": inst["name"],
              "attachmentState": "attached"}]
    if rng.random() < 0.25:
        disks.append(data_disk(rng, ctx, inst, location))
    return {"cpuCount": cpu, "disks": disks, "ramSizeInGb": ram}


def data_disk(rng: random.Random, ctx: dict, inst: dict, location: dict) -> dict:
    size = pick(rng, cat.DATA_DISK_SIZES)
    hour = f"{int(rng.random() * 24):02d}:30"
    u = rng.random()
    addons = [{"name": "AutoSnapshot", "status": "Enabled", "snapshotTimeOfDay": hour,
               "nextSnapshotTimeOfDay": hour}] if u < 0.5 else []
    if u < 0.05:  # the model shares AddOn with instances; keep its idle members exercised on disks too
        addons.append(_STOP_ON_IDLE)
    return {
        "name": f"{inst['name']}-data", "arn": f"arn:aws:lightsail:{ctx['region']}:{ctx['account']}:Disk/{uuid4(rng)}",
        "supportCode": f"{ctx['account']}/vol-{rng.getrandbits(68):017x}",
        "createdAt": round(inst["createdAt"] + rng.uniform(60, 86_400 * 30), 3), "location": location,
        "resourceType": "Disk", "tags": pick(rng, cat.DISK_TAG_SETS), "addOns": addons, "sizeInGb": size,
        "isSystemDisk": False, "iops": max(100, 3 * size), "path": "/dev/xvdf", "state": "in-use",
        "attachedTo": inst["name"], "isAttached": True, "attachmentState": "attached",
        "gbInUse": int(rng.random() * size), "autoMountStatus": pick(rng, cat.AUTO_MOUNT),
    }


def networking(rng: random.Random, size: str, windows: bool, blueprint: str) -> dict:
    if windows:
        port_sets = cat.WINDOWS_PORT_SETS
    else:
        port_sets = cat.WORDPRESS_PORT_SETS if blueprint == "wordpress" else cat.LINUX_PORT_SETS
    return {"monthlyTransfer": {"gbPerMonthAllocated": cat.BUNDLE_SIZES[size][3]}, "ports": pick(rng, port_sets)}


_IMDS = {
    (tokens, state, ipv6, hops): {"state": state, "httpTokens": tokens, "httpEndpoint": "enabled",
                                  "httpPutResponseHopLimit": hops, "httpProtocolIpv6": ipv6}
    for tokens in ("required", "optional") for state in ("applied", "pending")
    for ipv6 in ("enabled", "disabled") for hops in (1, 2)
}
_IMDS_OFF = {"state": "applied", "httpTokens": "optional", "httpEndpoint": "disabled",
             "httpPutResponseHopLimit": 1, "httpProtocolIpv6": "disabled"}


def metadata_options(rng: random.Random, ip_type: str) -> dict:
    u = rng.random()
    if u < 0.02:
        return _IMDS_OFF
    tokens = "optional" if u < 0.22 else "required"  # IMDSv1 still allowed on ~20%
    state = "pending" if u > 0.97 else "applied"
    ipv6 = "enabled" if ip_type != "ipv4" and u > 0.5 else "disabled"
    return _IMDS[(tokens, state, ipv6, 2 if u > 0.9 else 1)]


_OK = {"status": "ok", "details": [{"name": "reachability", "status": "passed"}]}
_INIT = {"status": "initializing", "details": [{"name": "reachability", "status": "initializing"}]}
_NOT_APPLICABLE = {"status": "not-applicable", "details": []}


def health(rng: random.Random, state: str) -> tuple[dict, dict]:
    u, v, since = rng.random(), rng.random(), round(cat.REFERENCE_TS - rng.uniform(60, 3 * 86_400), 3)
    if state in ("stopped", "stopping"):
        return _NOT_APPLICABLE, _NOT_APPLICABLE
    if state == "pending":
        return _INIT, _INIT
    impaired = {"status": "impaired", "details": [{"name": "reachability", "status": "failed", "impairedSince": since}]}
    return (impaired if u < 0.06 else _OK), (impaired if v < 0.02 else _OK)
