"""Staging: land, decode and normalise a region's pages in bounded batches, one Parquet part per table and batch.

A batch is a few megabytes of page bodies: memory stays bounded whatever the fleet's size. Clean batches
take the fast path (pipelines.fastpath: parsed in C++, outside the interpreter lock, so the extraction
threads of several regions stage in parallel); anything else takes the record path (pipelines.validate),
which gives the same rows. The parts are what the load reads.
"""

import bisect
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.gc_pause import gc_paused
from pipelines.landing import write_raw_page
from pipelines.fastpath import fast_array
from pipelines.normalise import normalise_array, normalise_records
from pipelines.page import MalformedPage, decode_page
from pipelines.timing import add_seconds
from schemas import INSTANCE_TABLES, TABLES

BATCH_RECORDS = 5000  # bounds memory: records are normalised and written this many at a time
BYTES_PER_RECORD = 2000  # a GetInstances record is ~2 KB on the wire: sizes page batches like record batches
STAGED_TABLES = list(INSTANCE_TABLES) + ["quarantine"]
# Parquet writes release the interpreter lock: a batch's tables are written side by side.
_WRITERS = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="stage-write")


class RegionStager:
    """Collects one (account, region)'s pages or records; staged parts land in `folder`.

    `add_page` takes raw bodies (written to `raw_dir` when given, then decoded where they are staged);
    `add` takes records already decoded. Call `close` for the counts, or `abort` after a failure.
    """

    def __init__(self, folder, snapshot, batch_records=BATCH_RECORDS, raw_dir=None, stats=None):
        self.folder, self.snapshot, self.batch_records = folder, snapshot, batch_records
        self.raw_dir, self.stats = raw_dir, stats
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.pages, self.page_bytes, self.records = [], 0, []
        self.parts = []  # one result dict per staged part

    def add_page(self, number, body):
        self.pages.append((number, body))
        self.page_bytes += len(body)
        if self.page_bytes >= self.batch_records * BYTES_PER_RECORD:
            self._stage_pages()

    def add(self, records):
        self.records.extend(records)
        if len(self.records) >= self.batch_records:
            self._stage_records()

    def _stage_pages(self):
        pages, self.pages, self.page_bytes = self.pages, [], 0
        self.parts.append(self._count(stage_pages(self.folder, self.raw_dir, self.snapshot, len(self.parts), pages)))

    def _count(self, result):
        """Keep the region's progress counter (`RegionStats.instances`) up to date as parts finish."""
        if self.stats is not None:
            self.stats.instances += result["received"]
        return result

    def _stage_records(self):
        records, self.records = self.records, []
        first = sum(p["received"] for p in self.parts)
        self.parts.append(self._count(stage_records(self.folder, self.snapshot, len(self.parts), records, first)))

    def close(self):
        """Stage what is left; returns the counts that go into the manifest."""
        if self.pages:
            self._stage_pages()
        if self.records:
            self._stage_records()
        results = self.parts
        for result in results:
            add_seconds(result.pop("timings"))
        _renumber_quarantine(self.folder, results)
        return _combine(results)

    def abort(self):
        """After a failure: land the pages not staged yet (for diagnosis), keep nothing staged."""
        if self.raw_dir is not None:
            for number, body in self.pages:
                write_raw_page(self.raw_dir, number, body)
        self.pages = []
        shutil.rmtree(self.folder, ignore_errors=True)


def stage_pages(folder, raw_dir, snapshot, part, pages):
    """Land (when `raw_dir`), decode and stage one batch of page bodies."""
    timings = {}
    with gc_paused():
        if raw_dir is not None:
            with _timed(timings, "land"):
                for number, body in pages:
                    write_raw_page(raw_dir, number, body)
        with _timed(timings, "parse"):
            array = fast_array([body for _, body in pages])
        if array is not None:
            with _timed(timings, "normalise"):
                batch = normalise_array(array, snapshot)
            return _write_batch(folder, part, batch, None, timings)
        records, starts = [], []
        with _timed(timings, "parse"):
            for number, body in pages:
                starts.append((len(records), number))
                try:
                    records.extend(decode_page(body)[1])
                except MalformedPage as error:
                    raise MalformedPage(f"page {number}: {error}") from None
        return _stage(folder, snapshot, part, records, 0, starts, timings)


def stage_records(folder, snapshot, part, records, first_index):
    """Stage records already decoded; quarantine positions count from `first_index`."""
    with gc_paused():
        return {**_stage(folder, snapshot, part, records, first_index, None, {}), "renumbered": True}


def _stage(folder, snapshot, part, records, first_index, starts, timings):
    with _timed(timings, "normalise"):
        batch = normalise_records(records, snapshot, first_index=first_index)
    return _write_batch(folder, part, batch, starts, timings)


def _write_batch(folder, part, batch, starts, timings):
    quarantine = _with_pages(batch.quarantine, starts)
    with _timed(timings, "write"):
        tables = {**batch.tables, "quarantine": quarantine}
        writes = [
            _WRITERS.submit(_write_part, folder / name, part, table, TABLES[name])
            for name, table in tables.items() if table.num_rows
        ]
        for write in writes:
            write.result()  # all written (or the first error raised) before the part counts as staged
    return {
        "part": part, "received": batch.received, "loaded": batch.loaded, "quarantined": quarantine.num_rows,
        "unknown_fields": dict(batch.unknown), "unseen_enum_values": batch.unseen_enum_values, "timings": timings,
    }


def _with_pages(quarantine, starts):
    """Quarantine rows of a page batch carry their page number; record_index is fixed up at close."""
    if starts is None or quarantine.num_rows == 0:
        return quarantine
    offsets = [start for start, _ in starts]
    positions = quarantine.column("record_index").to_pylist()
    pages = [starts[bisect.bisect_right(offsets, p) - 1][1] for p in positions]
    return quarantine.set_column(quarantine.schema.get_field_index("page"), quarantine.schema.field("page"), pa.array(pages, pa.int64()))


def _write_part(table_dir, part, table, schema):
    table_dir.mkdir(parents=True, exist_ok=True)
    path = table_dir / f"part-{part:05d}.parquet"
    tmp = path.with_name(path.name + ".tmp")
    # Staged parts live until the load: speed over size. Without dictionaries and statistics the write is
    # twice as fast for about 10% more bytes (measured on 100k instances); the load reads them as fast.
    pq.write_table(table, tmp, compression="lz4", use_dictionary=False, write_statistics=False)
    os.replace(tmp, path)


def _renumber_quarantine(folder, results):
    """Page batches count quarantined records from 0: shift each part by the records staged before it."""
    offset = 0
    for result in sorted(results, key=lambda r: r["part"]):
        path = folder / "quarantine" / f"part-{result['part']:05d}.parquet"
        if result["quarantined"] and offset and path.exists() and not result.get("renumbered"):
            table = pq.read_table(path, schema=TABLES["quarantine"])
            index = table.schema.get_field_index("record_index")
            shifted = pc.add(table.column(index), offset)
            _write_part(path.parent, result["part"], table.set_column(index, table.schema.field(index), shifted), TABLES["quarantine"])
        offset += result["received"]


def _combine(results):
    totals = {"received": 0, "loaded": 0, "quarantined": 0, "unknown_fields": {}, "unseen_enum_values": {}}
    for result in results:
        result.pop("renumbered", None)
        for key in ("received", "loaded", "quarantined"):
            totals[key] += result[key]
        for path, rows in result["unknown_fields"].items():
            totals["unknown_fields"][path] = totals["unknown_fields"].get(path, 0) + rows
        for path, values in result["unseen_enum_values"].items():
            seen = totals["unseen_enum_values"].setdefault(path, {})
            for value, rows in values.items():
                seen[value] = seen.get(value, 0) + rows
    totals["unknown_fields"] = dict(sorted(totals["unknown_fields"].items()))
    totals["unseen_enum_values"] = {p: dict(sorted(v.items())) for p, v in sorted(totals["unseen_enum_values"].items())}
    return totals


class _timed:
    def __init__(self, timings, phase):
        self.timings, self.phase = timings, phase

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, *exc):
        self.timings[self.phase] = self.timings.get(self.phase, 0.0) + time.perf_counter() - self.started


def staged_files(folder):
    """table name -> its Parquet parts, for the tables that got rows."""
    files = {name: sorted((folder / name).glob("part-*.parquet")) for name in STAGED_TABLES}
    return {name: parts for name, parts in files.items() if parts}
