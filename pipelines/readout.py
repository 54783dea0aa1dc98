"""The CLI's read-only looks at the warehouse: `status` (runs, regions) and `report NAME`, as text."""

import datetime as dt
import json
import os
import sys

from pipelines import status
from pipelines.render import render
from pipelines.warehouse import WarehouseLocked, connect, reader_path


class NoWarehouse(FileNotFoundError):
    hint = "run `lightsail-warehouse run` (or `lightsail-warehouse demo --db ...`) first, or pass --db"


def open_for_reading(path):
    """A read-only connection; while a load holds the file, the copy the last load published."""
    if not os.path.exists(path):
        raise NoWarehouse(f"no warehouse at {path}")
    try:
        return connect(path, read_only=True, lock_timeout_s=2.0)
    except WarehouseLocked:
        copy = reader_path(path)
        if not copy.exists():
            raise
        published = dt.datetime.fromtimestamp(copy.stat().st_mtime, dt.timezone.utc)
        print(f"(the warehouse is busy: reading {copy}, published {published:%Y-%m-%d %H:%M:%S} UTC; "
              "a load still running, or one whose copy could not be written, is not in it)", file=sys.stderr)
        return connect(copy, read_only=True)


def status_text(path, runs=5, fmt="table", now=None):
    now = now or dt.datetime.now(dt.timezone.utc)
    con = open_for_reading(path)
    try:
        if not status.has_table(con, "extraction_runs"):
            return f"the warehouse {path} has no runs yet"
        recent, regions = status.recent_runs(con, runs), status.region_status(con, now)
    finally:
        con.close()
    if fmt == "json":
        as_dicts = lambda columns, rows: [dict(zip(columns, row)) for row in rows]  # noqa: E731
        return json.dumps({"runs": as_dicts(*recent), "regions": as_dicts(*regions)}, default=str, indent=2)
    runs_part = ["Last runs:", render(*recent), ""] if runs else []  # --runs 0: the regions only
    return "\n".join([*runs_part, "Regions (what the current_* views show):", render(*regions)])


def report_text(path, name=None, fmt="table"):
    con = open_for_reading(path)
    try:
        if not name:
            names = status.report_names(con)
            if fmt != "table":  # what a script asked for: the list in that format too
                return render(["report"], [(n,) for n in names], fmt)
            return "Reports: " + (", ".join(names) if names else "none yet (a load creates them)")
        return render(*status.read_report(con, name), fmt)
    finally:
        con.close()
