"""Staging: normalise a region's records in bounded batches and append them to one Parquet file per table."""

import shutil

import pyarrow.parquet as pq

from pipelines.gc_pause import gc_paused
from pipelines.normalise import normalise_records
from pipelines.timing import timed
from schemas import INSTANCE_TABLES, TABLES

BATCH_RECORDS = 5000  # bounds memory: records are normalised and written this many at a time


class RegionStager:
    """Collects one (account, region)'s records; everything written lands in `folder`."""

    def __init__(self, folder, snapshot, batch_records=BATCH_RECORDS):
        self.folder, self.snapshot, self.batch_records = folder, snapshot, batch_records
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.pending, self.writers = [], {}
        self.received = self.loaded = self.quarantined = 0
        self.unknown, self.unseen_enums = {}, {}

    def add(self, records):
        self.pending.extend(records)
        if len(self.pending) >= self.batch_records:
            self.flush()

    def flush(self):
        if not self.pending:
            return
        with gc_paused(), timed("normalise"):
            batch = normalise_records(self.pending, self.snapshot, first_index=self.received)
        self.received += batch.received
        self.loaded += batch.loaded
        self.quarantined += batch.quarantine.num_rows
        for path, rows in batch.unknown.items():
            self.unknown[path] = self.unknown.get(path, 0) + rows
        for path, values in batch.unseen_enum_values.items():
            seen = self.unseen_enums.setdefault(path, {})
            for value, rows in values.items():
                seen[value] = seen.get(value, 0) + rows
        with timed("write"):
            for name, table in {**batch.tables, "quarantine": batch.quarantine}.items():
                if table.num_rows:
                    self._writer(name).write_table(table)
        self.pending = []

    def _writer(self, name):
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", TABLES[name], compression="zstd")
        return self.writers[name]

    def close(self):
        """Flush the last batch; returns the counts that go into the manifest."""
        self.flush()
        for writer in self.writers.values():
            writer.close()
        return {
            "received": self.received,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "unknown_fields": dict(sorted(self.unknown.items())),
            "unseen_enum_values": {path: dict(sorted(v.items())) for path, v in sorted(self.unseen_enums.items())},
        }


def staged_files(folder):
    """table name -> Parquet file, for the tables that got rows."""
    names = list(INSTANCE_TABLES) + ["quarantine"]
    return {name: folder / f"{name}.parquet" for name in names if (folder / f"{name}.parquet").exists()}
