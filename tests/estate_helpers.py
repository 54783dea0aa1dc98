"""Helpers for the whole-estate tests: warehouse contents without run-specific columns, request-log structure."""

from collections import Counter

from pipelines.fake_endpoint import EndpointConfig
from pipelines.resources import AccountConfig, LightsailResource
from pipelines.warehouse import connect, q
from schemas import TABLES

# Two accounts behind one endpoint: the base credentials read MAIN, AssumeRole into ROLE reads AUDIT.
MAIN, AUDIT = "123456789012", "210987654321"
ROLE = f"arn:aws:iam::{AUDIT}:role/lightsail-reader"
ESTATE = EndpointConfig(fleet_size=240, regions=("us-east-1", "eu-west-2", "ap-southeast-2"), page_size=20, seed=5,
                        account_id=MAIN, other_accounts=(AUDIT,))

# Columns that differ between two runs of the same fleet: which run, when, how long, how many tries.
VOLATILE = frozenset({"run_id", "loaded_at", "started_at", "duration_s", "attempts"})


def estate(url, **settings):
    """The resource reading both accounts in every ESTATE region through the endpoint at `url`."""
    accounts = [AccountConfig(name="main"), AccountConfig(name="audit", role_arn=ROLE)]
    return LightsailResource(regions=list(ESTATE.regions), endpoint_url=url, accounts=accounts, **settings)


def contents(path, ignore=VOLATILE):
    """Every table's rows (all columns except `ignore`), sorted, so two warehouses can be compared."""
    con = connect(path, read_only=True)
    try:
        out = {}
        for name, schema in TABLES.items():
            columns = ", ".join(q(f.name) for f in schema if f.name not in ignore)
            out[name] = con.execute(f"select {columns} from {q(name)} order by all").fetchall()
        return out
    finally:
        con.close()


def rows(path, sql, params=()):
    con = connect(path, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def max_concurrency(records):
    """The largest number of requests in flight at one moment."""
    events = sorted([(r.started, 1) for r in records] + [(r.ended, -1) for r in records])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def sequential(records):
    """True when no two of these requests overlapped (each started after the previous one ended)."""
    ordered = sorted(records, key=lambda r: r.started)
    return all(a.ended <= b.started for a, b in zip(ordered, ordered[1:]))


def requests_by_pair(log, operation="GetInstances"):
    """Number of requests per (account id, region) for one operation."""
    return Counter((r.account, r.region) for r in log if r.operation == operation)
