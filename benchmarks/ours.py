"""lightsail-warehouse in the benchmark: the normalise+load stage alone, and the whole run from an endpoint."""

import datetime as dt

from pipelines.extract import ClientSettings
from pipelines.landing import RunFolder
from pipelines.load import load_run
from pipelines.normalise import Snapshot
from pipelines.snapshot import RunPlan, extract_run
from pipelines.staging import RegionStager
from pipelines.accounts import Account
from pipelines.timing import timed
from pipelines.warehouse import connect
from benchmarks.pages import REGION

DATE = dt.date(2026, 12, 1)
ACCOUNT = "123456789012"


def run_stage(pages, workdir):
    """Raw page bodies -> checked, typed tables -> staged Parquet -> one DuckDB transaction."""
    folder = RunFolder(workdir, DATE, "bench")
    # Landing raw pages is extraction's job (measured end to end); the peers do not land anything either.
    stager = RegionStager(folder.staged_dir("default", REGION), Snapshot(DATE, ACCOUNT, REGION))
    pages_seen = 0
    for number, body in enumerate(pages):
        stager.add_page(number, body)
        pages_seen += 1
    counts = stager.close()
    manifest = {"run_id": "bench", "snapshot_date": DATE.isoformat(), "regions": [_region(REGION, pages_seen, counts)]}
    return _load(workdir, folder, manifest)


def run_end_to_end(url, regions, workdir, max_workers=8):
    """The product's run against an endpoint: boto3 paginator, landing, staging, load."""
    plan = RunPlan(
        snapshot_date=DATE, regions=regions, accounts=[Account(account_id=ACCOUNT)],
        client=ClientSettings(endpoint_url=url), max_workers=max_workers,
    )
    folder, manifest = extract_run(plan, workdir, run_id="bench")
    failed = [r for r in manifest["regions"] if r["status"] != "ok"]
    if failed:
        raise RuntimeError(f"extraction failed: {failed[0]['error']}")
    return _load(workdir, folder, manifest)


def run_extract_only(url, regions, workdir, max_workers):
    """Extraction of `regions` alone (for the latency case): returns instances received."""
    plan = RunPlan(
        snapshot_date=DATE, regions=regions, accounts=[Account(account_id=ACCOUNT)],
        client=ClientSettings(endpoint_url=url), max_workers=max_workers,
    )
    _, manifest = extract_run(plan, workdir)
    return {"instances": sum(r["instances"] for r in manifest["regions"])}


def _region(region, pages, counts):
    return {"account": "default", "account_id": ACCOUNT, "region": region, "status": "ok", "pages": pages,
            "instances": counts["received"], "attempts": pages, "started_at": 0.0, "duration_s": 0.0, **counts}


def _load(workdir, folder, manifest):
    con = connect(workdir / "ours.duckdb")
    try:
        with timed("load"):
            load_run(con, folder, manifest)
        names = {"instances": "instances", "instance_tags": "instance_tags", "disks": "disks",
                 "firewall_ports": "firewall_ports", "firewall_port_cidrs": "firewall_port_cidrs"}
        return {k: con.execute(f'select count(*) from "{v}"').fetchone()[0] for k, v in names.items()}
    finally:
        con.close()
