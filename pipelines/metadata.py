"""What the Dagster UI shows: column schemas from `schemas/`, per-region tables and the run summary."""

import dagster as dg

from pipelines.warehouse import duckdb_type


def column_schema(schema):
    """A Dagster TableSchema built from an Arrow schema and its field metadata."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=f.name,
                type=duckdb_type(f.type),
                description=f.metadata[b"description"].decode(),
                constraints=dg.TableColumnConstraints(nullable=f.nullable),
            )
            for f in schema
        ]
    )


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def region_table(regions):
    rows = [
        (r["account"], r["account_id"], r["region"], r["status"], r["pages"], r["instances"], r.get("quarantined", 0),
         r["attempts"], r["duration_s"], (r.get("error") or "")[:200])
        for r in regions
    ]
    header = ["account", "account id", "region", "status", "pages", "instances", "quarantined", "requests", "seconds", "error"]
    return dg.MetadataValue.md(markdown_table(header, rows))


def run_summary(con, snapshot_date, manifest):
    """Markdown shown on the run: the fleet by region and state, and what needs attention."""
    by_state = con.execute(
        "select region, coalesce(state_name, '(none)'), count(*) from instances "
        "where snapshot_date = ? group by all order by all",
        [snapshot_date],
    ).fetchall()
    world_open = con.execute("select count(*) from ports_open_to_world").fetchone()[0]
    failed = [f"{r['account']}/{r['region']}" for r in manifest["regions"] if r["status"] != "ok"]
    quarantined = sum(r.get("quarantined", 0) for r in manifest["regions"])
    parts = [
        f"### Snapshot {snapshot_date}",
        markdown_table(["region", "state", "instances"], by_state),
        "",
        f"- firewall rules open to the world (current): **{world_open}**",
        f"- quarantined records: **{quarantined}**",
        f"- failed regions: **{', '.join(failed) or 'none'}**",
    ]
    return "\n".join(parts)
