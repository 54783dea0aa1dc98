"""Asset checks of a load: evaluated inside its transaction, so a blocking failure rolls the snapshot back.

Blocking checks (keys, parents, counts, quarantine over its error share) fail with ERROR severity and keep
the previous data current; the others (count drop, schema drift, a few quarantined records) WARN. The
freshness check is in `pipelines/freshness.py`.
"""

import dagster as dg
from pydantic import Field

from pipelines import status
from pipelines.warehouse import q
from schemas import INSTANCE_TABLES, TABLES, primary_key

CHILD_TABLES = [name for name in INSTANCE_TABLES if name != "instances"]
WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR


class CheckThresholds(dg.ConfigurableResource):
    """When the checks of a night warn or fail."""

    max_instance_drop_share: float = Field(
        default=0.2, ge=0, le=1, description="Warn when a region lost more than this share of its instances since its previous snapshot."
    )
    quarantine_warn_records: int = Field(default=0, ge=0, description="Warn when more records than this were quarantined.")
    quarantine_error_share: float = Field(
        default=0.05, ge=0, le=1, description="Fail (and roll the load back) when more than this share of received records was quarantined."
    )
    fresh_hours: float = Field(default=36.0, gt=0, description="Fail when no snapshot was loaded within this many hours.")


def _spec(table, name, description, blocking=True):
    return dg.AssetCheckSpec(name, asset=table, description=description, blocking=blocking)


TABLE_CHECKS = {
    name: [_spec(name, "primary_key_unique", f"No two rows of the snapshot share ({', '.join(primary_key(TABLES[name]))}).")]
    + ([_spec(name, "has_parent", "Every row belongs to an instance of the same snapshot.")] if name in CHILD_TABLES else [])
    for name in list(INSTANCE_TABLES) + ["quarantine"]
}
TABLE_CHECKS["instances"] += [
    _spec("instances", "counts_reconcile", "Per region: records received = instances loaded + records quarantined."),
    _spec("instances", "instance_count_drop", "Warns when a region lost more than the configured share of its instances "
          "since its previous snapshot.", blocking=False),
    _spec("instances", "schema_drift", "Warns when records carried fields the schemas do not model (kept in `_extra` columns).",
          blocking=False),
]
TABLE_CHECKS["quarantine"].append(
    _spec("quarantine", "quarantined_records",
          "Warns on quarantined records; fails and rolls back over the configured share of received records."),
)
BLOCKING = {(s.asset_key.to_user_string(), s.name) for specs in TABLE_CHECKS.values() for s in specs if s.blocking}


def run_table_checks(con, snapshot_date, manifest, thresholds):
    """Every table check of one loaded snapshot, as AssetCheckResults."""
    return [
        _CHECKS[spec.name](con, table, snapshot_date, manifest, thresholds)
        for table, specs in TABLE_CHECKS.items()
        for spec in specs
    ]


def blocking_failures(results):
    """'table.check' of each failed ERROR result of a blocking check."""
    return [
        f"{r.asset_key.to_user_string()}.{r.check_name}"
        for r in results
        if not r.passed and r.severity == ERROR and (r.asset_key.to_user_string(), r.check_name) in BLOCKING
    ]


def _primary_key_unique(con, table, snapshot_date, _manifest, _thresholds):
    keys = ", ".join(q(k) for k in primary_key(TABLES[table]))
    duplicates = con.execute(
        f"select count(*) from (select {keys} from {q(table)} where snapshot_date = ? group by all having count(*) > 1)",
        [snapshot_date],
    ).fetchone()[0]
    return dg.AssetCheckResult(
        asset_key=table, check_name="primary_key_unique", passed=duplicates == 0, metadata={"duplicate_keys": duplicates}
    )


def _has_parent(con, table, snapshot_date, _manifest, _thresholds):
    orphans = con.execute(
        f"select count(*) from {q(table)} as c anti join instances as i "
        "on i.snapshot_date = c.snapshot_date and i.account_id = c.account_id and i.region = c.region and i.arn = c.instance_arn "
        "where c.snapshot_date = ?",
        [snapshot_date],
    ).fetchone()[0]
    return dg.AssetCheckResult(asset_key=table, check_name="has_parent", passed=orphans == 0, metadata={"orphan_rows": orphans})


def _counts_reconcile(con, table, snapshot_date, manifest, _thresholds):
    mismatched = []
    for r in _loaded(manifest):
        loaded, quarantined = con.execute(
            "select (select count(*) from instances where snapshot_date = $d and account_id = $a and region = $r), "
            "(select count(*) from quarantine where snapshot_date = $d and account_id = $a and region = $r)",
            {"d": snapshot_date, "a": r["account_id"], "r": r["region"]},
        ).fetchone()
        if r["received"] != loaded + quarantined:
            mismatched.append(f"{r['region']}: received {r['received']} != {loaded} + {quarantined}")
    return dg.AssetCheckResult(
        asset_key=table, check_name="counts_reconcile", passed=not mismatched,
        metadata={"received": _received(manifest), "mismatches": "; ".join(mismatched) or "none"},
    )


def _instance_count_drop(con, table, snapshot_date, _manifest, thresholds):
    """Counts are over the regions compared: a region's first snapshot has nothing to drop from."""
    changes = status.region_changes(con, snapshot_date)
    compared = [c for c in changes if c["prev_date"] is not None]
    share = thresholds.max_instance_drop_share
    dropped = [c for c in compared if c["previous"] and (c["previous"] - c["current"]) / c["previous"] > share]
    previous, current = sum(c["previous"] for c in compared), sum(c["current"] for c in compared)
    return dg.AssetCheckResult(
        asset_key=table, check_name="instance_count_drop", passed=not dropped, severity=WARN,
        metadata={
            "regions_compared": len(compared),
            "regions_first_snapshot": len(changes) - len(compared),
            "previous_instances": previous,
            "current_instances": current,
            "max_drop_share": share,
            "dropped_regions": "; ".join(
                f"{c['region']}: {c['previous']} on {c['prev_date']} -> {c['current']}" for c in dropped
            ) or "none",
        },
    )


def _schema_drift(_con, table, _snapshot_date, manifest, _thresholds):
    fields = {}
    for r in _loaded(manifest):
        for path, rows in (r.get("unknown_fields") or {}).items():
            fields[path] = fields.get(path, 0) + rows
    return dg.AssetCheckResult(
        asset_key=table, check_name="schema_drift", passed=not fields, severity=WARN,
        metadata={
            "unknown_fields": len(fields),
            "fields": ", ".join(f"{path} ({rows} rows)" for path, rows in sorted(fields.items())) or "none",
        },
    )


def _quarantined_records(con, table, snapshot_date, manifest, thresholds):
    count, received = status.quarantined(con, snapshot_date), _received(manifest)
    share = count / received if received else 0.0
    return dg.AssetCheckResult(
        asset_key=table, check_name="quarantined_records",
        passed=count <= thresholds.quarantine_warn_records,
        severity=ERROR if share > thresholds.quarantine_error_share else WARN,
        metadata={"quarantined": count, "received": received, "share": round(share, 4)},
    )


def _loaded(manifest):
    return [r for r in manifest["regions"] if r["status"] == "ok"]


def _received(manifest):
    return sum(r.get("received", 0) for r in _loaded(manifest))


_CHECKS = {
    "primary_key_unique": _primary_key_unique,
    "has_parent": _has_parent,
    "counts_reconcile": _counts_reconcile,
    "instance_count_drop": _instance_count_drop,
    "schema_drift": _schema_drift,
    "quarantined_records": _quarantined_records,
}
