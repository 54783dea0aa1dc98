"""The peers: what people write instead of this tool, run on the same page bodies into a DuckDB file.

Each returns canonical row counts so the driver can check every implementation produced the same data:
instances, instance tags, disks, firewall ports and port cidrs.
"""

import json
import os

import duckdb
import pyarrow as pa

CHILD_LISTS = {  # canonical name -> path of the list inside an instance
    "instance_tags": ("tags",),
    "disks": ("hardware", "disks"),
    "firewall_ports": ("networking", "ports"),
}


def _records(pages):
    for body in pages:
        yield from json.loads(body).get("instances") or []


def run_dlt(pages, workdir):
    """dlt with its defaults: nested lists become child tables `instances__...`."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt

    db = str(workdir / "dlt.duckdb")
    pipeline = dlt.pipeline(
        pipeline_name="bench", destination=dlt.destinations.duckdb(db), dataset_name="lightsail",
        pipelines_dir=str(workdir / "dlt-pipelines"),
    )

    @dlt.resource(name="instances", write_disposition="replace")
    def instances():
        for body in pages:
            yield json.loads(body).get("instances") or []

    pipeline.run(instances())
    con = duckdb.connect(db, read_only=True)
    names = {
        "instances": "instances", "instance_tags": "instances__tags", "disks": "instances__hardware__disks",
        "firewall_ports": "instances__networking__ports", "firewall_port_cidrs": "instances__networking__ports__cidrs",
    }
    return {k: con.execute(f'select count(*) from lightsail."{v}"').fetchone()[0] for k, v in names.items()}


def run_pandas(pages, workdir):
    """pandas: json_normalize for the instance, explode + json_normalize for each nested list."""
    import pandas as pd

    records = list(_records(pages))
    base = pd.json_normalize(records)
    tables = {"instances": base}
    for name, path in CHILD_LISTS.items():
        tables[name] = _explode(base, ".".join(path))
    ports = tables["firewall_ports"]
    tables["firewall_port_cidrs"] = ports[["instance_arn", "cidrs"]].explode("cidrs").dropna(subset=["cidrs"])
    con = duckdb.connect(str(workdir / "pandas.duckdb"))
    for name, frame in tables.items():
        frame = frame[[c for c in frame.columns if not _holds_containers(frame[c])]]
        con.register("frame", frame)
        con.execute(f'create table "{name}" as select * from frame')
        con.unregister("frame")
    return {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in tables}


def _explode(base, column):
    import pandas as pd

    exploded = base[["arn", column]].explode(column).dropna(subset=[column])
    child = pd.json_normalize(exploded[column].tolist())
    child.insert(0, "instance_arn", exploded["arn"].to_numpy())
    return child


def _holds_containers(series):
    sample = series.dropna().head(50)
    return any(isinstance(v, (list, dict)) for v in sample)


def run_loop(pages, workdir):
    """A plain loop: one dict per row per table, `pa.Table.from_pylist`, then DuckDB."""
    rows = {}
    for record in _records(pages):
        _split(record, "instances", {"arn": record.get("arn")}, rows)
    con = duckdb.connect(str(workdir / "loop.duckdb"))
    for name, table_rows in rows.items():
        table = pa.Table.from_pylist(table_rows)
        con.register("t", table)
        con.execute(f'create table "{name}" as select * from t')
        con.unregister("t")
    names = {
        "instances": "instances", "instance_tags": "instances__tags", "disks": "instances__hardware__disks",
        "firewall_ports": "instances__networking__ports", "firewall_port_cidrs": "instances__networking__ports__cidrs",
    }
    return {k: con.execute(f'select count(*) from "{v}"').fetchone()[0] for k, v in names.items()}


def _split(value, table, keys, rows):
    """Flatten nested dicts into one row; every list becomes rows of a child table `table__path`."""
    row, children = _flatten(value, "")
    rows.setdefault(table, []).append({**keys, **row})
    for name, items in children:
        child_table = f"{table}__{name}"
        for index, item in enumerate(items):
            child_keys = {**keys, f"{child_table.split('__')[-1]}_index": index}
            if isinstance(item, dict):
                _split(item, child_table, child_keys, rows)
            else:
                rows.setdefault(child_table, []).append({**child_keys, "value": item})


def _flatten(value, prefix):
    row, children = {}, []
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            sub_row, sub_children = _flatten(item, f"{name}__")
            row.update(sub_row)
            children += sub_children
        elif isinstance(item, list):
            children.append((name, item))
        else:
            row[name] = item
    return row, children


PEERS = {"dlt": run_dlt, "pandas": run_pandas, "loop": run_loop}
