"""One snapshot run: extract every (account, region) in parallel into the landing zone and staging.

A region that fails is recorded with its error and left out of staging, so the load that follows never
replaces its last good data; the other regions go on. A region without Lightsail is recorded as skipped.
Once every pair has finished, a pair that revealed no account id (no STS, no instance served) takes its
account's id from the run's other regions, else from the warehouse's earlier snapshots.
"""

import datetime as dt
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pipelines.accounts import Account, account_session, resolve_account_id
from pipelines.extract import ClientSettings, PageTokenRejected, RegionStats, account_from_arn, iter_pages, make_client
from pipelines.landing import RunFolder
from pipelines.normalise import Snapshot
from pipelines.staging import BATCH_RECORDS, RegionStager

UNKNOWN_ACCOUNT = "unknown"  # the account id of rows whose account could not be told


@dataclass
class RunPlan:
    """What to extract: accounts x regions, and how."""

    snapshot_date: dt.date
    regions: list
    accounts: list  # of Account
    client: ClientSettings = ClientSettings()
    include_health_status: bool = True
    max_workers: int = 8
    skipped: dict = field(default_factory=dict)  # region -> reason; recorded for every account, never read
    warnings: list = field(default_factory=list)  # e.g. region discovery fell back to botocore's list
    batch_records: int = BATCH_RECORDS


@dataclass(frozen=True)
class AccountContext:
    """An account ready to read: its session and id, or why it could not be prepared."""

    account: Account
    session: object = None
    account_id: str | None = None
    error: str | None = None


def new_run_id(now=None):
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def failed_pairs(manifest):
    """The (account, region) entries that failed; skipped ones (no Lightsail there) are not failures."""
    return [r for r in manifest["regions"] if r["status"] == "failed"]


def extract_run(plan, root, run_id=None, progress=None, earlier_account_ids=None):
    """Extract everything in `plan` under `root`; returns (RunFolder, manifest).

    `earlier_account_ids()`, called only if an account revealed no id, gives {account name: id} from the
    warehouse's earlier snapshots.
    """
    folder = RunFolder(root, plan.snapshot_date, run_id or new_run_id())
    contexts = [prepare_account(account, plan.client) for account in plan.accounts]  # sessions: one thread
    client_lock, stop = threading.Lock(), threading.Event()
    targets = [(ctx, region, RegionStats()) for ctx in contexts for region in plan.regions]
    if progress:  # every region listed from the start, those waiting for a worker too
        for ctx, region, stats in targets:
            progress(ctx.account.name, region, stats)
    pool = ThreadPoolExecutor(max_workers=max(1, min(plan.max_workers, len(targets))))
    try:
        futures = [pool.submit(extract_region, plan, folder, ctx, region, client_lock, progress, stop, stats)
                   for ctx, region, stats in targets]
        results = [future.result() for future in futures]
    except BaseException:
        # Interrupted (Ctrl-C, a Dagster run terminated): the region threads stop after the page in hand, or before
        # their next request or retry (pipelines.extract.Stopped), land what they hold, and no manifest is written
        # (the run never counts as extracted).
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    results += [skipped_region(ctx, region, reason) for ctx in contexts for region, reason in plan.skipped.items()]
    fail_contradicted_accounts(results)
    for (_, _, stats), result in zip(targets, results):  # the progress line's last word agrees with the manifest
        stats.outcome = "failed" if result["status"] == "failed" else stats.outcome
    unknown = settle_account_ids(results, earlier_account_ids)
    manifest = {
        "run_id": folder.run_id,
        "snapshot_date": plan.snapshot_date.isoformat(),
        "regions": results,
        "warnings": list(plan.warnings) + unknown
        + [f"{r['account']}/{r['region']} skipped: {r['error']}" for r in results if r["status"] == "skipped"],
    }
    folder.write_manifest(manifest)
    return folder, manifest


def fail_contradicted_accounts(results):
    """An account id that the ARNs served in one region contradict is wrong for all of the account's regions:
    the empty ones, where there was nothing to check it against, fail too instead of being filed under it."""
    witnesses = {r["account"]: r["region"] for r in results
                 if r["status"] == "failed" and (r.get("error") or "").startswith(f"{AccountMismatch.__name__}:")}
    for r in results:
        if r["status"] == "ok" and r["account"] in witnesses:
            r.update(status="failed", loaded=0, quarantined=0, error=(
                f"{AccountMismatch.__name__}: not loaded: account id {r['account_id']} of account {r['account']!r} is "
                f"contradicted by the instances served in {witnesses[r['account']]}"
            ))


def settle_account_ids(results, earlier_account_ids=None):
    """Give every entry without an account id its account's: from the run's other regions, else from earlier
    snapshots, else 'unknown'; returns a warning per account left unknown that had a region extracted (an
    account whose regions all failed has its errors, and advice to give an id would mislead).

    Without STS (a local or compatible endpoint) the id comes from the ARNs served, so a region with no
    instance, or one that failed, has none of its own. Recorded as 'unknown', an emptied region would never
    replace its account's last snapshot.
    """
    found = {r["account"]: r["account_id"] for r in results if r["account_id"] not in (None, UNKNOWN_ACCOUNT)}
    missing = {r["account"] for r in results if not r["account_id"]} - set(found)
    if missing and earlier_account_ids is not None:
        earlier = earlier_account_ids()
        found |= {name: earlier[name] for name in missing if earlier.get(name)}
    for r in results:
        r["account_id"] = r["account_id"] or found.get(r["account"]) or UNKNOWN_ACCOUNT
    return [
        f"account {name!r}: no account id (none given, none from STS, no instance ARN served, none in earlier snapshots); its regions "
        f"are recorded under {UNKNOWN_ACCOUNT!r}: give it with --account-id or lightsail.account_id "
        "(lightsail.accounts[].account_id)"
        for name in sorted(missing - set(found))
        if any(r["account"] == name and r["status"] == "ok" for r in results)  # else its failures say why
    ]


def prepare_account(account, client_settings):
    """Session and account id of one account; an account that cannot be prepared fails its regions only."""
    try:
        session = account_session(account, client_settings)
        return AccountContext(account, session, resolve_account_id(account, session, client_settings))
    except Exception as error:
        return AccountContext(account, account_id=account.known_account_id(), error=_describe(error))


def extract_region(plan, folder, ctx, region, client_lock, progress=None, stop=None, stats=None):
    """Pull, land and stage one (account, region); never raises, the outcome is the returned dict."""
    stats, started = stats or RegionStats(), time.time()
    result = {"account": ctx.account.name, "account_id": ctx.account_id, "region": region}
    try:
        if ctx.error:
            raise AccountUnavailable(ctx.error)
        with client_lock:  # clients are thread-safe, but the session that makes them is not
            client = make_client(plan.client, region, ctx.session)
        result.update(_pull_region(plan, folder, client, result, stats, progress, stop))
        result.update(status="ok", error=None)
        stats.outcome = "done"
    except Exception as error:  # one region's failure must not stop the others
        result.update(status="failed", error=_describe(error), received=stats.instances, loaded=0, quarantined=0)
        result["traceback"] = traceback.format_exc(limit=5)
        stats.outcome = "failed"
    result.update(
        pages=stats.pages, instances=stats.instances, attempts=stats.attempts, resumes=stats.resumes,
        retry_quota_exhausted=stats.quota_exhausted, restarts=stats.restarts,
        started_at=started, duration_s=round(time.time() - started, 3),
    )
    return result


class AccountMismatch(Exception):
    """The account id configured for an account is not the one in the ARNs it serves: rows would be misfiled."""


class AccountUnavailable(Exception):
    """The account's session or id could not be set up (profile missing, AssumeRole refused...)."""


def _pull_region(plan, folder, client, result, stats, progress, stop=None):
    try:
        return _land_and_stage(plan, folder, client, result, stats, progress, stop)
    except PageTokenRejected:
        # A token that expired mid-listing cannot be resumed: list the region again from its first page,
        # once, dropping what this pass landed, so the snapshot is one consistent listing.
        folder.clear_raw(result["account"], result["region"])
        stats.restart()
        return _land_and_stage(plan, folder, client, result, stats, progress, stop)


class Interrupted(Exception):
    """The run was interrupted: this region stopped between two pages."""


MAX_PAGES_BEFORE_AN_ARN = 20  # pages held back while looking for the account id in an ARN (empty ones, mostly)


def _land_and_stage(plan, folder, client, result, stats, progress, stop=None):
    """Every page to the stager, which lands it raw and normalises it in bounded batches.

    Without a known account id, the stager (whose rows carry the id) waits for the first page that names one in
    an ARN: leading pages without any (empty pages happen) are held back, up to MAX_PAGES_BEFORE_AN_ARN.
    """
    account, region = result["account"], result["region"]
    stager, held = None, []
    try:
        for page in iter_pages(client, plan.include_health_status, stats, plan.client, stop):
            if stager is None:
                served = _account_from_records(page.records)
                if result["account_id"] and served and served != result["account_id"]:
                    raise AccountMismatch(
                        f"account id {result['account_id']} was given (or assumed) for account {account!r}, but the "
                        f"instances served belong to {served}: fix --account-id / lightsail.account_id"
                    )
                result["account_id"] = result["account_id"] or served
                held.append(page)
                if result["account_id"] or len(held) >= MAX_PAGES_BEFORE_AN_ARN:
                    stager = _stager(plan, folder, result, stats)
                    for waiting in held:
                        stager.add_page(waiting.number, waiting.body)
                    held = []
            else:
                stager.add_page(page.number, page.body)
            if stop is not None and stop.is_set():
                raise Interrupted(f"interrupted after {stats.pages} pages")
            if progress:
                progress(account, region, stats)
        if stager is None:  # no page named the account (or none came): an empty region's id is settled later
            stager = _stager(plan, folder, result, stats)
            for waiting in held:
                stager.add_page(waiting.number, waiting.body)
            held = []
        counts = stager.close()
        if counts["received"]:  # staged rows carry the id they were staged with; an empty region's is settled later
            result["account_id"] = stager.snapshot.account_id
        if progress:  # the last parts were counted at close
            progress(account, region, stats)
    except BaseException:
        if stager is not None:
            stager.abort()
        for waiting in held:  # landed for diagnosis, as the stager's abort does with its own
            folder.write_page(account, region, waiting.number, waiting.body)
        raise
    return counts


def _stager(plan, folder, result, stats):
    account, region = result["account"], result["region"]
    snapshot = Snapshot(plan.snapshot_date, result["account_id"] or UNKNOWN_ACCOUNT, region)
    return RegionStager(
        folder.staged_dir(account, region), snapshot, plan.batch_records,
        raw_dir=folder.raw_dir(account, region), stats=stats,
    )


def skipped_region(ctx, region, reason):
    """The manifest entry of a region that is not read (no Lightsail there): a warning, not a failure."""
    return {
        "account": ctx.account.name, "account_id": ctx.account_id, "region": region, "status": "skipped",
        "error": reason, "pages": 0, "instances": 0, "attempts": 0, "resumes": 0, "retry_quota_exhausted": 0,
        "restarts": 0, "received": 0, "loaded": 0, "quarantined": 0, "started_at": time.time(), "duration_s": 0.0,
    }


def _account_from_records(records):
    """Without STS (a local endpoint), the account id inside the first ARN served; None if none was."""
    for record in records:
        if isinstance(record, dict) and account_from_arn(record.get("arn")):
            return account_from_arn(record["arn"])
    return None


def _describe(error):
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"
