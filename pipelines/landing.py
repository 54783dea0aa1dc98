"""The raw landing zone: every page as received, zstd-compressed, one folder per run/account/region.

data/runs/<snapshot date>/<run id>/
    raw/<account>/<region>/page-00000.json.zst  bodies exactly as AWS sent them (no headers, no signatures)
    staged/<account>/<region>/<table>.parquet   the normalised tables, ready for one transactional load
    manifest.json                               what was extracted, per (account, region)
"""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa

MANIFEST = "manifest.json"
_ZSTD = pa.Codec("zstd", compression_level=1)
LATEST = "LATEST"


class RunFolder:
    def __init__(self, root, snapshot_date, run_id):
        self.snapshot_date, self.run_id = snapshot_date, run_id
        self.path = Path(root) / "runs" / snapshot_date.isoformat() / run_id

    def raw_dir(self, account, region):
        return self.path / "raw" / account / region

    def staged_dir(self, account, region):
        return self.path / "staged" / account / region

    def write_page(self, account, region, number, body):
        write_raw_page(self.raw_dir(account, region), number, body)

    def clear_raw(self, account, region):
        """Drop a region's landed pages (a listing that has to start over)."""
        shutil.rmtree(self.raw_dir(account, region), ignore_errors=True)

    def raw_pages(self, account, region):
        """The bodies of one region's pages, in page order."""
        for file in self._raw_files(account, region):
            with pa.input_stream(str(file), compression="zstd") as stream:
                yield stream.read()

    def raw_page_count(self, account, region):
        return len(self._raw_files(account, region))

    def _raw_files(self, account, region):
        return sorted(self.raw_dir(account, region).glob("page-*.json.zst"))

    def write_manifest(self, manifest, latest=True):
        """Write the manifest; `latest` also makes this run the one its snapshot date's load picks up."""
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
        if latest:
            atomic_write(self.path.parent / LATEST, self.run_id.encode())

    def manifest_path(self):
        return self.path / MANIFEST

    def read_manifest(self):
        return json.loads((self.path / MANIFEST).read_text())


def latest_run(root, snapshot_date):
    """The RunFolder of the last finished extraction for a snapshot date, or None."""
    pointer = Path(root) / "runs" / snapshot_date.isoformat() / LATEST
    if not pointer.exists():
        return None
    return RunFolder(root, snapshot_date, pointer.read_text().strip())


def run_to_load(root, snapshot_date, run_id):
    """The extraction a load takes: run `run_id`'s own when it wrote one (two runs of one date at once each load
    their own), else the date's latest (a load materialised on its own, after an extraction in another run)."""
    own = RunFolder(root, snapshot_date, run_id)
    return own if own.manifest_path().exists() else latest_run(root, snapshot_date)


def find_run(root, run_id):
    """A RunFolder by run id, whatever its snapshot date."""
    for candidate in (Path(root) / "runs").glob(f"*/{run_id}"):
        return RunFolder(root, dt.date.fromisoformat(candidate.parent.name), run_id)
    raise FileNotFoundError(f"no run {run_id} under {Path(root) / 'runs'}")


MAX_KEEP_DAYS = 36500  # a century: beyond it, dates are out of range and "keep everything" is what was meant


def check_keep_days(keep_days, name="keep_days"):
    """`keep_days` as a whole number of days from 0 to MAX_KEEP_DAYS; a ValueError naming `name` otherwise."""
    try:
        if isinstance(keep_days, bool) or (isinstance(keep_days, float) and not keep_days.is_integer()):
            raise ValueError(keep_days)
        days = int(keep_days)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number of days, not {keep_days!r}") from None
    if not 0 <= days <= MAX_KEEP_DAYS:
        raise ValueError(f"{name} must be from 0 to {MAX_KEEP_DAYS} days, not {keep_days}")
    return days


def prune_runs(root, keep_days, today, dry_run=False, keep_date=None):
    """Remove the run folders (raw pages, staging) of snapshot dates more than `keep_days` before `today`.

    The warehouse keeps those snapshots; only `replay` of those runs is no longer possible. `keep_date` is
    never removed (the snapshot a load has just made, e.g. a backfill of an old day). Returns [(folder, bytes)]
    of what was (or, with `dry_run`, would be) removed, oldest first.
    """
    keep_days = check_keep_days(keep_days)
    cutoff = today - dt.timedelta(days=keep_days)
    removed = []
    for folder in sorted((Path(root) / "runs").glob("*")):
        try:
            date = dt.date.fromisoformat(folder.name)
        except ValueError:
            continue  # not a snapshot date folder: not ours to remove
        if date < cutoff and date != keep_date and folder.is_dir():
            removed.append((folder, sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())))
            if not dry_run:
                shutil.rmtree(folder)
    return removed


def write_raw_page(raw_dir, number, body):
    """One page as received, as a standard zstd frame (`zstd -d` reads it): 4x faster than gzip, and smaller."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(raw_dir / f"page-{number:05d}.json.zst", _ZSTD.compress(body, asbytes=True))


def atomic_write(path, data):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
