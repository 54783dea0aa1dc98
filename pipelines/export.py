"""Parquet export: every warehouse table, current snapshot or all history, hive-partitioned by snapshot date.

DIR/<table>/snapshot_date=YYYY-MM-DD/part-0.parquet, each file cast back to the table's Arrow schema from
`schemas/` (descriptions included) minus `snapshot_date`, which the folder name carries. Read it back with
`pyarrow.parquet.read_table(DIR/<table>, partitioning=partitioning())`, or in DuckDB with
`read_parquet('DIR/<table>/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': date})`.
"""

import shutil
import tempfile
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.warehouse import q
from schemas import TABLES

PARTITION = "snapshot_date"
BATCH_ROWS = 100_000  # bounds memory: one snapshot of a table is streamed this many rows at a time


def partitioning():
    """The hive partitioning of an export, with `snapshot_date` typed as a date."""
    return ds.partitioning(pa.schema([pa.field(PARTITION, pa.date32())]), flavor="hive")


def file_schema(schema):
    """What each Parquet file holds: the table's schema without the partition column."""
    return schema.remove(schema.get_field_index(PARTITION))


def export_parquet(con, out_dir, all_history=False, tables=TABLES, leftovers=None):
    """Export `tables` under `out_dir`; returns rows written per table.

    Everything is written aside first; then every previous table folder is moved aside and every new one
    moved in, and if any of those renames fails the ones done are undone: a rerun never mixes two exports,
    and a failure or a crash leaves the previous export in place. Previous folders that cannot be removed
    afterwards (say, a read-only file in them) stay as `.replaced-*` and are appended to `leftovers`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        latest = con.execute(f"select max(snapshot_date) from ({_source_sql('snapshots', all_history)})").fetchone()[0]
        rows = {name: _export_table(con, name, schema, work / name, all_history, latest) for name, schema in tables.items()}
        replaced = _swap_in(work, out_dir, list(tables))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for folder in replaced:
        try:
            shutil.rmtree(folder)
        except OSError as error:
            if leftovers is not None:
                leftovers.append(f"{folder}: {error}")
    return rows


def _export_table(con, name, schema, folder, all_history, latest):
    """One table's partitions; a table without rows gets one empty file (under the latest snapshot date), so
    readers still find it and its schema."""
    folder.mkdir()
    source = _source_sql(name, all_history)
    dates = [d for (d,) in con.execute(f"select distinct {q(PARTITION)} from ({source}) order by 1").fetchall()]
    dates = dates or ([latest] if latest else [])
    target = file_schema(schema)
    columns = ", ".join(q(f.name) for f in target)
    written = 0
    for snapshot_date in dates:
        part = folder / f"{PARTITION}={snapshot_date.isoformat()}"
        part.mkdir()
        relation = con.sql(f"select {columns} from ({source}) where {q(PARTITION)} = ?", params=[snapshot_date])
        with pq.ParquetWriter(part / "part-0.parquet", target, compression="zstd") as writer:
            for batch in relation.to_arrow_reader(BATCH_ROWS):
                writer.write_table(pa.Table.from_batches([batch]).cast(target))
                written += batch.num_rows
    return written


def _source_sql(name, all_history):
    if all_history:
        return f"select * from {q(name)}"
    return f"select t.* from {q(name)} as t join current_snapshots using (snapshot_date, account_id, region)"


def _swap_in(work, out_dir, names):
    """Move out_dir/<name> aside and work/<name> in, for every name, or none of them; returns the folders
    moved aside (the previous export, to be removed)."""
    aside, placed = [], []
    try:
        for name in names:
            if (out_dir / name).exists():
                stale = out_dir / f".replaced-{name}-{uuid.uuid4().hex[:8]}"
                (out_dir / name).rename(stale)
                aside.append((stale, out_dir / name))
        for name in names:
            (work / name).rename(out_dir / name)
            placed.append(name)
    except BaseException:
        for name in placed:
            (out_dir / name).rename(work / name)
        for stale, original in aside:
            stale.rename(original)
        raise
    return [stale for stale, _ in aside]
