"""What the warehouse says about the fleet and the pipeline: facts of one snapshot, recent runs, regions, reports.

Every function takes an open DuckDB connection and returns plain rows; the Dagster summary, the asset
checks and the CLI format them. Facts of a snapshot are read from the base tables, so they hold for any
partition, not only the current one.
"""

import datetime as dt

from pipelines.warehouse import q

_CHANGES = """
with cur as (select account_id, region from snapshots where snapshot_date = $d),
prev as (
    select s.account_id, s.region, max(s.snapshot_date) as prev_date
    from snapshots as s join cur using (account_id, region)
    where s.snapshot_date < $d group by all
),
present as (  -- as instance_changes counts them: a quarantined record's instance is there, only unreadable
    select account_id, region, snapshot_date, arn from instances
    union
    select account_id, region, snapshot_date, instance_arn from quarantine where instance_arn is not null
),
now_i as (select account_id, region, arn from present where snapshot_date = $d),
prev_i as (
    select i.account_id, i.region, i.arn from present as i
    join prev as p on p.account_id = i.account_id and p.region = i.region and p.prev_date = i.snapshot_date
)
select c.account_id, c.region, p.prev_date,
       (select count(*) from prev_i where prev_i.account_id = c.account_id and prev_i.region = c.region) as previous,
       (select count(*) from now_i where now_i.account_id = c.account_id and now_i.region = c.region) as current,
       (select count(*) from now_i anti join prev_i using (account_id, region, arn)
         where now_i.account_id = c.account_id and now_i.region = c.region) as added,
       (select count(*) from prev_i anti join now_i using (account_id, region, arn)
         where prev_i.account_id = c.account_id and prev_i.region = c.region) as removed
from cur as c left join prev as p using (account_id, region)
order by c.account_id, c.region
"""

_EXPOSURE = """
with world as (
    select account_id, region, instance_arn, port_index from firewall_port_cidrs
    where snapshot_date = $d and cidr = '0.0.0.0/0'
    union
    select account_id, region, instance_arn, port_index from firewall_port_ipv6_cidrs
    where snapshot_date = $d and ipv6_cidr = '::/0'
)
select count(distinct (w.account_id, w.region, w.instance_arn)), count(*)
from world as w
join firewall_ports as p using (account_id, region, instance_arn, port_index)
where p.snapshot_date = $d and coalesce(p.access_direction, 'inbound') = 'inbound'
"""


def instances_by_state(con, snapshot_date):
    """(region, state, instances) of one snapshot."""
    return con.execute(
        "select region, coalesce(state_name, '(none)'), count(*) from instances "
        "where snapshot_date = ? group by all order by all",
        [snapshot_date],
    ).fetchall()


def region_changes(con, snapshot_date):
    """Per (account, region) loaded in the snapshot: previous snapshot date, counts then and now, added, removed."""
    columns = ["account_id", "region", "prev_date", "previous", "current", "added", "removed"]
    rows = con.execute(_CHANGES, {"d": snapshot_date}).fetchall()
    return [dict(zip(columns, row)) for row in rows]


def exposure(con, snapshot_date):
    """(instances with an inbound rule open to the world, such rules) in one snapshot."""
    return con.execute(_EXPOSURE, {"d": snapshot_date}).fetchone()


def imdsv1_instances(con, snapshot_date):
    """Instances whose metadata endpoint still answers IMDSv1 (tokens optional, endpoint not disabled)."""
    return con.execute(
        "select count(*) from instances where snapshot_date = ? and metadata_http_tokens = 'optional' "
        "and coalesce(metadata_http_endpoint, 'enabled') <> 'disabled'",
        [snapshot_date],
    ).fetchone()[0]


def stale_regions(con, snapshot_date):
    """(account, region, last good snapshot or None) of regions that failed for this snapshot and have no data of it:
    the current_* views still show their older data."""
    return con.execute(
        "with failed as (select distinct account_id, region from extraction_runs as r where snapshot_date = $d "
        "and status = 'failed' and not exists (select 1 from snapshots as s where s.snapshot_date = $d "
        "and s.account_id = r.account_id and s.region = r.region)) "
        "select f.account_id, f.region, max(s.snapshot_date) from failed as f "
        "left join snapshots as s using (account_id, region) group by all order by all",
        {"d": snapshot_date},
    ).fetchall()


def quarantined(con, snapshot_date):
    return con.execute("select count(*) from quarantine where snapshot_date = ?", [snapshot_date]).fetchone()[0]


def recent_runs(con, limit=10):
    """The last runs, newest first: one row per run with its region outcomes (ok, failed, skipped) and totals."""
    cursor = con.execute(
        "select run_id, snapshot_date, min(started_at) as started, "
        "count(*) filter (where status = 'ok') as regions_ok, count(*) filter (where status = 'failed') as regions_failed, "
        "count(*) filter (where status = 'skipped') as regions_skipped, "
        "sum(pages) as pages, sum(instances) as instances, round(max(duration_s), 1) as seconds "
        "from extraction_runs group by run_id, snapshot_date order by started desc limit ?",
        [limit],
    )
    return _columns(cursor), cursor.fetchall()


def region_status(con, now, fresh_hours=36.0):
    """Per (account, region): the last attempt, the data the current views show and whether it is fresh, stale,
    retired (no run tried it within `fresh_hours`), skipped (no Lightsail there) or superseded (a failure recorded
    under an account id that a later successful attempt of the same account corrected, e.g. 'unknown')."""
    cursor = con.execute(
        # the latest attempt whole (arg_max would skip a null error and show an older attempt's)
        "with last as (select account_id, region, started_at as last_attempt, status as last_status, "
        "error as last_error from extraction_runs "
        "qualify row_number() over (partition by account_id, region order by started_at desc) = 1), "
        # the regions report_stale_regions lists: a failure at a snapshot newer than the one the views show
        "failed_newer as (select distinct account_id, region from report_stale_regions), "
        "superseded as (select distinct account_id, region from superseded_failures) "
        "select l.account_id, l.region, l.last_status, l.last_attempt, c.snapshot_date as current_snapshot, "
        "s.instances, s.quarantined, s.loaded_at, "
        "case when l.last_status = 'skipped' then 'skipped' "  # no Lightsail there: nothing to be fresh or stale
        "when f.region is not null then 'stale' "
        "when u.region is not null and c.snapshot_date is null then 'superseded' "
        # no run has tried it within the window: taken out of the configuration (as snapshots:freshness)
        "when l.last_attempt < $cutoff then 'retired' "
        "when s.loaded_at is null or s.loaded_at < $cutoff then 'stale' "
        "else 'fresh' end as freshness, "
        "left(l.last_error, 120) as last_error "
        "from last as l left join current_snapshots as c using (account_id, region) "
        "left join snapshots as s using (account_id, region, snapshot_date) "
        "left join failed_newer as f using (account_id, region) "
        "left join superseded as u using (account_id, region) order by l.account_id, l.region",
        {"cutoff": now - dt.timedelta(hours=fresh_hours)},
    )
    return _columns(cursor), cursor.fetchall()


def has_table(con, name):
    return con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() and table_name = ?", [name]
    ).fetchone()[0] > 0


def report_names(con):
    """The `report_*` views of the warehouse, without the prefix."""
    rows = con.execute(
        "select view_name from duckdb_views() where not internal and database_name = current_database() "
        "and starts_with(view_name, 'report_') order by view_name"
    ).fetchall()
    return [name.removeprefix("report_") for (name,) in rows]


def read_report(con, name):
    """(columns, rows) of the view `report_<name>`; a LookupError names the reports there are."""
    name = name.strip().lower().removeprefix("report_")  # view names are lower case; a shell may not be
    available = report_names(con)
    if name not in available:
        raise LookupError(f"no report named {name!r}; available: {', '.join(available) or 'none (run a load first)'}")
    cursor = con.execute(f"select * from {q('report_' + name)}")
    return _columns(cursor), cursor.fetchall()


def _columns(cursor):
    return [d[0] for d in cursor.description]
