"""Replay: rebuild a run's snapshot in the warehouse from its raw pages alone, without any AWS call.

The raw pages are decoded and normalised exactly as during extraction (same decoder, same stager), the
run's staged files are rewritten, and the same transactional load puts them in the warehouse. Regions
that failed or were skipped in the run stay out, as they did then.
"""

import datetime as dt

from pipelines.landing import find_run
from pipelines.load import load_run
from pipelines.normalise import Snapshot
from pipelines.staging import BATCH_RECORDS, RegionStager


class ReplayError(Exception):
    """The run's raw pages cannot rebuild its snapshot (pages missing)."""


def replay_run(con, root, run_id, batch_records=BATCH_RECORDS):
    """Re-stage run `run_id` (under data dir `root`) from its raw pages and load it; returns (manifest, rows inserted)."""
    folder = find_run(root, run_id)
    manifest = folder.read_manifest()
    snapshot_date = dt.date.fromisoformat(manifest["snapshot_date"])
    regions = [
        restage(folder, snapshot_date, entry, batch_records) if entry["status"] == "ok" else entry
        for entry in manifest["regions"]
    ]
    manifest = {**manifest, "regions": regions}
    # The manifest's counts now describe the new staged files; replaying does not make the run the date's latest.
    folder.write_manifest(manifest, latest=False)
    return manifest, load_run(con, folder, manifest)


def restage(folder, snapshot_date, entry, batch_records=BATCH_RECORDS):
    """One (account, region)'s raw pages through the stager again; returns its manifest entry, recounted."""
    account, region = entry["account"], entry["region"]
    found = folder.raw_page_count(account, region)
    if found != entry["pages"]:  # checked before the staged files are touched
        raise ReplayError(f"{account}/{region}: {found} raw pages found, the run received {entry['pages']}")
    stager = RegionStager(folder.staged_dir(account, region), Snapshot(snapshot_date, entry["account_id"], region), batch_records)
    for number, body in enumerate(folder.raw_pages(account, region)):
        stager.add_page(number, body)  # no raw_dir: the landed pages are the input, not rewritten
    return {**entry, **stager.close()}
