"""One snapshot run: extract every (account, region) in parallel into the landing zone and staging.

A region that fails is recorded with its error and left out of staging, so the load that follows never
replaces its last good data; the other regions go on.
"""

import datetime as dt
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipelines.accounts import account_session, resolve_account_id
from pipelines.extract import ClientSettings, RegionStats, account_from_arn, iter_pages, make_client
from pipelines.landing import RunFolder
from pipelines.normalise import Snapshot
from pipelines.staging import RegionStager


@dataclass
class RunPlan:
    """What to extract: accounts x regions, and how."""

    snapshot_date: dt.date
    regions: list
    accounts: list  # of Account
    client: ClientSettings = ClientSettings()
    include_health_status: bool = True
    max_workers: int = 8


def new_run_id(now=None):
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def extract_run(plan, root, run_id=None, progress=None):
    """Extract everything in `plan` under `root`; returns (RunFolder, manifest)."""
    folder = RunFolder(root, plan.snapshot_date, run_id or new_run_id())
    sessions = {account.name: account_session(account, plan.client) for account in plan.accounts}
    targets = [(account, region) for account in plan.accounts for region in plan.regions]
    with ThreadPoolExecutor(max_workers=max(1, min(plan.max_workers, len(targets)))) as pool:
        results = list(
            pool.map(lambda t: extract_region(plan, folder, t[0], sessions[t[0].name], t[1], progress), targets)
        )
    manifest = {
        "run_id": folder.run_id,
        "snapshot_date": plan.snapshot_date.isoformat(),
        "regions": results,
    }
    folder.write_manifest(manifest)
    return folder, manifest


def extract_region(plan, folder, account, session, region, progress=None):
    """Pull, land and stage one (account, region); never raises, the outcome is the returned dict."""
    stats, started = RegionStats(), time.time()
    result = {"account": account.name, "account_id": account.account_id, "region": region}
    stager = None
    try:
        client = make_client(plan.client, region, session)
        for page in iter_pages(client, plan.include_health_status, stats):
            folder.write_page(account.name, region, page.number, page.body)
            if stager is None:
                result["account_id"] = result["account_id"] or _account_id(session, plan.client, page.records)
                snapshot = Snapshot(plan.snapshot_date, result["account_id"], region)
                stager = RegionStager(folder.staged_dir(account.name, region), snapshot)
            stager.add(page.records)
            if progress:
                progress(account.name, region, stats)
        if stager is None:  # the paginator always yields a page; this guards an empty answer all the same
            stager = RegionStager(folder.staged_dir(account.name, region), Snapshot(plan.snapshot_date, result["account_id"] or "unknown", region))
        result.update(stager.close())
        result.update(status="ok", error=None)
    except Exception as error:  # one region's failure must not stop the others
        result.update(status="failed", error=_describe(error), received=stats.instances, loaded=0, quarantined=0)
        result["traceback"] = traceback.format_exc(limit=5)
    result.update(
        pages=stats.pages, instances=stats.instances, attempts=stats.attempts,
        started_at=started, duration_s=round(time.time() - started, 3),
    )
    return result


def _account_id(session, client_settings, records):
    """The account id: from STS for real AWS, else from the first ARN the endpoint served."""
    found = resolve_account_id(session, client_settings)
    if found:
        return found
    for record in records:
        if isinstance(record, dict) and account_from_arn(record.get("arn")):
            return account_from_arn(record["arn"])
    return "unknown"


def _describe(error):
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"

