"""Warehouse test helpers: hand-built instance records, staged runs without HTTP, and the all-views-work check."""

import datetime as dt
import time

from pipelines.landing import RunFolder
from pipelines.load import load_run
from pipelines.normalise import Snapshot
from pipelines.staging import RegionStager
from pipelines.warehouse import broken_views, connect, q

ACCOUNT = "123456789012"
AUTO_SNAPSHOT = {"name": "AutoSnapshot", "status": "Enabled", "snapshotTimeOfDay": "06:00", "nextSnapshotTimeOfDay": "06:00"}


def port(from_port, to_port=None, protocol="tcp", cidrs=("0.0.0.0/0",), ipv6=(), aliases=(), direction="inbound"):
    """One firewall rule as GetInstances sends it."""
    return {
        "fromPort": from_port, "toPort": from_port if to_port is None else to_port, "protocol": protocol,
        "accessFrom": "Custom", "accessType": "public", "commonName": "", "accessDirection": direction,
        "cidrs": list(cidrs), "ipv6Cidrs": list(ipv6), "cidrListAliases": list(aliases),
    }


def disk(name, size_gb, region="us-east-1", attached=True):
    """A data disk (the system disk is added by `instance`)."""
    return {
        "name": name, "arn": f"arn:aws:lightsail:{region}:{ACCOUNT}:Disk/{name}", "sizeInGb": size_gb,
        "isSystemDisk": False, "path": "/dev/xvdf", "state": "in-use" if attached else "available",
        "isAttached": attached, "attachmentState": "attached" if attached else "detached", "tags": [], "addOns": [],
    }


def instance(name, region="us-east-1", *, state="running", bundle="micro_3_0", blueprint="ubuntu_22_04", cpu=2,
             ram=1.0, public_ip="52.0.0.1", static_ip=False, tokens="required", imds_endpoint="enabled",
             ports=None, data_disks=(), tags=(), add_ons=(AUTO_SNAPSHOT,), health="ok", system_health="ok",
             system_disk_gb=40):
    """An instance record; its ARN is derived from the name, so the same name is the same instance."""
    record = {
        "name": name, "arn": f"arn:aws:lightsail:{region}:{ACCOUNT}:Instance/{name}",
        "supportCode": f"{ACCOUNT}/i-{name}", "createdAt": 1700000000.0,
        "location": {"availabilityZone": region + "a", "regionName": region}, "resourceType": "Instance",
        "tags": [dict(zip(("key", "value"), t)) for t in tags], "blueprintId": blueprint, "blueprintName": blueprint,
        "bundleId": bundle, "addOns": [dict(a) for a in add_ons], "isStaticIp": static_ip,
        "privateIpAddress": "172.26.0.10", "ipAddressType": "ipv4",
        "hardware": {
            "cpuCount": cpu, "ramSizeInGb": ram,
            "disks": [{"sizeInGb": system_disk_gb, "isSystemDisk": True, "path": "/dev/xvda", "attachedTo": name,
                       "attachmentState": "attached"}] + [dict(d) for d in data_disks],
        },
        "networking": {"monthlyTransfer": {"gbPerMonthAllocated": 2048},
                       "ports": [port(22)] if ports is None else [dict(p) for p in ports]},
        "state": {"code": {"running": 16, "stopped": 80}.get(state, 0), "name": state},
        "username": "ubuntu", "sshKeyName": "LightsailDefaultKeyPair",
        "metadataOptions": {"state": "applied", "httpTokens": tokens, "httpEndpoint": imds_endpoint,
                            "httpPutResponseHopLimit": 1, "httpProtocolIpv6": "disabled"},
        "instanceStatus": _health(health, "2026-11-30T10:00:00+00:00"),
        "systemStatus": _health(system_health, "2026-11-30T08:00:00+00:00"),
    }
    if public_ip:
        record["publicIpAddress"] = public_ip
    return record


def _health(status, since):
    if status == "impaired":
        epoch = dt.datetime.fromisoformat(since).timestamp()
        return {"status": "impaired", "details": [{"name": "reachability", "status": "failed", "impairedSince": epoch}]}
    return {"status": status, "details": [{"name": "reachability", "status": "passed"}]}


def stage_run(root, snapshot_date, regions, run_id=None, started_at=None, account_id=ACCOUNT):
    """Stage a run as `extract_run` would: `regions` maps region -> records, or -> an error text when it failed."""
    run_id = run_id or f"run-{snapshot_date.isoformat()}-{time.monotonic_ns()}"
    folder = RunFolder(root, snapshot_date, run_id)
    started = started_at or dt.datetime.combine(snapshot_date, dt.time(2), dt.timezone.utc)
    results = []
    for region, records in regions.items():
        result = {"account": "default", "account_id": account_id, "region": region, "pages": 1, "attempts": 1,
                  "started_at": started.timestamp(), "duration_s": 0.5}
        if isinstance(records, str):
            result.update(status="failed", error=records, received=0, loaded=0, quarantined=0, pages=0, instances=0)
        else:
            stager = RegionStager(folder.staged_dir("default", region), Snapshot(snapshot_date, account_id, region))
            stager.add(records)
            result.update(stager.close(), status="ok", error=None, instances=len(records))
        results.append(result)
    manifest = {"run_id": run_id, "snapshot_date": snapshot_date.isoformat(), "regions": results}
    folder.write_manifest(manifest)
    return folder, manifest


def load_records(db, root, snapshot_date, regions, **kwargs):
    """Stage `regions` and load them into the warehouse file `db`; returns the manifest."""
    folder, manifest = stage_run(root, snapshot_date, regions, **kwargs)
    con = connect(db, lock_timeout_s=5)
    try:
        load_run(con, folder, manifest)
    finally:
        con.close()
    return manifest


def query(db, sql, params=None):
    con = connect(db, read_only=True, lock_timeout_s=5)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def assert_views_work(con):
    """Every view binds and runs to the end (the reports included)."""
    assert broken_views(con) == {}
    names = [n for (n,) in con.execute("select view_name from duckdb_views() where not internal").fetchall()]
    assert {"current_instances", "instance_field_changes", "report_stale_regions"} <= set(names)
    for name in names:
        con.execute(f"select * from {q(name)}").fetchall()
