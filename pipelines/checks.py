"""Asset checks run right after the load, on the same connection: keys, parents and counts."""

import dagster as dg

from pipelines.warehouse import q
from schemas import INSTANCE_TABLES, TABLES, primary_key

CHILD_TABLES = [name for name in INSTANCE_TABLES if name != "instances"]


def _spec(table, name, description, blocking=True):
    return dg.AssetCheckSpec(name, asset=table, description=description, blocking=blocking)


TABLE_CHECKS = {
    name: [_spec(name, "primary_key_unique", f"No two rows of the snapshot share ({', '.join(primary_key(TABLES[name]))}).")]
    + ([_spec(name, "has_parent", "Every row belongs to an instance of the same snapshot.")] if name in CHILD_TABLES else [])
    for name in list(INSTANCE_TABLES) + ["quarantine"]
}
TABLE_CHECKS["instances"].append(
    _spec("instances", "counts_reconcile", "Per region: records received = instances loaded + records quarantined.")
)


def run_table_checks(con, snapshot_date, manifest):
    for table, specs in TABLE_CHECKS.items():
        for spec in specs:
            yield _CHECKS[spec.name](con, table, snapshot_date, manifest)


def _primary_key_unique(con, table, snapshot_date, _manifest):
    keys = ", ".join(q(k) for k in primary_key(TABLES[table]))
    duplicates = con.execute(
        f"select count(*) from (select {keys} from {q(table)} where snapshot_date = ? group by all having count(*) > 1)",
        [snapshot_date],
    ).fetchone()[0]
    return dg.AssetCheckResult(asset_key=table, check_name="primary_key_unique", passed=duplicates == 0, metadata={"duplicate_keys": duplicates})


def _has_parent(con, table, snapshot_date, _manifest):
    orphans = con.execute(
        f"select count(*) from {q(table)} as c anti join instances as i "
        "on i.snapshot_date = c.snapshot_date and i.account_id = c.account_id and i.region = c.region and i.arn = c.instance_arn "
        "where c.snapshot_date = ?",
        [snapshot_date],
    ).fetchone()[0]
    return dg.AssetCheckResult(asset_key=table, check_name="has_parent", passed=orphans == 0, metadata={"orphan_rows": orphans})


def _counts_reconcile(con, table, snapshot_date, manifest):
    mismatched = []
    for r in manifest["regions"]:
        if r["status"] != "ok":
            continue
        loaded, quarantined = con.execute(
            "select (select count(*) from instances where snapshot_date = $d and account_id = $a and region = $r), "
            "(select count(*) from quarantine where snapshot_date = $d and account_id = $a and region = $r)",
            {"d": snapshot_date, "a": r["account_id"], "r": r["region"]},
        ).fetchone()
        if r["received"] != loaded + quarantined:
            mismatched.append(f"{r['region']}: received {r['received']} != {loaded} + {quarantined}")
    received = sum(r.get("received", 0) for r in manifest["regions"] if r["status"] == "ok")
    return dg.AssetCheckResult(
        asset_key=table, check_name="counts_reconcile", passed=not mismatched,
        metadata={"received": received, "mismatches": "; ".join(mismatched) or "none"},
    )


_CHECKS = {"primary_key_unique": _primary_key_unique, "has_parent": _has_parent, "counts_reconcile": _counts_reconcile}
