"""What the Dagster UI shows: column schemas from `schemas/`, per-region tables, extraction totals, the run summary."""

from collections import Counter, defaultdict

import dagster as dg

from pipelines import status
from pipelines.snapshot import failed_pairs
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


def extraction_totals(manifest):
    """A run manifest summed over its regions: records, skipped regions, warnings, unknown fields, unseen enum values."""
    regions = manifest["regions"]
    unknown, enums = Counter(), defaultdict(Counter)
    for r in regions:
        unknown.update(r.get("unknown_fields") or {})
        for path, values in (r.get("unseen_enum_values") or {}).items():
            enums[path].update(values)
    return {
        **{key: sum(r.get(key, 0) for r in regions) for key in ("received", "loaded", "quarantined")},
        "skipped": [f"{r['account']}/{r['region']}" for r in regions if r["status"] == "skipped"],
        "warnings": list(manifest.get("warnings") or []),
        "unknown_fields": dict(sorted(unknown.items())),
        "unseen_enum_values": {path: dict(sorted(v.items())) for path, v in sorted(enums.items())},
    }


def _drift(totals, tick=""):
    """(unknown field lines, unseen enum value lines): `path: N rows`, `path: value (N), ...`; `tick` quotes as code."""
    unknown = [f"{tick}{path}{tick}: {rows} rows" for path, rows in totals["unknown_fields"].items()]
    enums = [f"{tick}{path}{tick}: " + ", ".join(f"{tick}{value}{tick} ({rows})" for value, rows in values.items())
             for path, values in totals["unseen_enum_values"].items()]
    return unknown, enums


def _bullets(items):
    return dg.MetadataValue.md("\n".join(f"- {item}" for item in items) or "none")


def extraction_metadata(totals):
    """The extraction asset's metadata entries of `extraction_totals(...)`."""
    unknown, enums = _drift(totals, tick="`")
    return {
        "records_received": totals["received"],
        "records_loaded": totals["loaded"],
        "records_quarantined": totals["quarantined"],
        "skipped_regions": ", ".join(totals["skipped"]) or "none",
        "warnings": _bullets(totals["warnings"]),
        "unknown_fields": _bullets(unknown),
        "unseen_enum_values": _bullets(enums),
    }


# Values real Lightsail answers with that the model does not list: recorded in the metadata like any unseen value,
# but not worth a warning every night (the model says Public/Private; real ports say public/private).
ANSWERED_BY_LIGHTSAIL = {"networking.ports[].accessType": frozenset({"public", "private"})}


def extraction_warnings(totals):
    """What an operator should read in the run's log: the manifest's warnings, then schema drift, one line each
    (values Lightsail is known to answer with, ANSWERED_BY_LIGHTSAIL, are left out)."""
    surprising = {
        path: {value: rows for value, rows in values.items() if value not in ANSWERED_BY_LIGHTSAIL.get(path, ())}
        for path, values in totals["unseen_enum_values"].items()
    }
    unknown, enums = _drift({**totals, "unseen_enum_values": {p: v for p, v in surprising.items() if v}})
    lines = list(totals["warnings"])
    if unknown:
        lines.append("unknown fields (schema drift): " + "; ".join(unknown))
    if enums:
        lines.append("unseen enum values: " + "; ".join(enums))
    return lines


def run_summary(con, snapshot_date, manifest):
    """Markdown shown on the run: the fleet by region and state, what changed, and what needs attention."""
    changes = status.region_changes(con, snapshot_date)
    exposed, world_rules = status.exposure(con, snapshot_date)
    unknown = sorted({path for r in manifest["regions"] for path in (r.get("unknown_fields") or {})})
    failed = [f"{r['account']}/{r['region']}" for r in failed_pairs(manifest)]
    skipped = [f"{r['account']}/{r['region']}" for r in manifest["regions"] if r["status"] == "skipped"]
    stale = [f"{region} ({account}, last good: {date or 'never'})"
             for account, region, date in status.stale_regions(con, snapshot_date)]
    parts = [
        f"### Snapshot {snapshot_date}",
        state_table(status.instances_by_state(con, snapshot_date)),
        "",
        "#### Since the previous snapshot",
        changes_table(changes),
        "",
        "#### Needs attention",
        f"- instances with a port open to the world: **{exposed}** ({world_rules} inbound rules)",
        f"- instances still allowing IMDSv1: **{status.imdsv1_instances(con, snapshot_date)}**",
        f"- quarantined records: **{status.quarantined(con, snapshot_date)}**",
        f"- unknown fields (schema drift): **{len(unknown)}**" + (f" ({', '.join(unknown[:10])})" if unknown else ""),
        f"- failed regions this run: **{', '.join(failed) or 'none'}**",
        f"- skipped regions (no Lightsail there): {', '.join(skipped) or 'none'}",
        f"- stale regions (no data of this snapshot, older data stays current): **{'; '.join(stale) or 'none'}**",
    ]
    return "\n".join(parts)


def state_table(rows):
    """(region, state, count) rows as one line per region, one column per state, with totals."""
    states = sorted({state for _, state, _ in rows})
    regions = sorted({region for region, _, _ in rows})
    counts = {(region, state): n for region, state, n in rows}
    body = [[region] + [counts.get((region, s), 0) for s in states] for region in regions]
    body.append(["**total**"] + [sum(counts.get((r, s), 0) for r in regions) for s in states])
    body = [row + [sum(row[1:])] for row in body]
    return markdown_table(["region"] + states + ["instances"], body)


def changes_table(changes):
    rows = [
        (c["account_id"], c["region"], c["prev_date"], c["previous"], c["current"], f"+{c['added']}", f"-{c['removed']}")
        if c["prev_date"] else (c["account_id"], c["region"], "(first snapshot)", "", c["current"], "", "")
        for c in changes
    ]
    return markdown_table(["account", "region", "previous snapshot", "then", "now", "new", "removed"], rows)
