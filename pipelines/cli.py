"""`lightsail-warehouse`: run the main job, the demo, or the local Lightsail endpoint from a terminal."""

import argparse
import datetime as dt
import errno
import os
import re
import shlex
import sys
import time
from pathlib import Path

from pipelines.render import plural

DEMO_REGIONS = "us-east-1,eu-west-2,ap-southeast-2"
DEMO_ACCOUNT = "123456789012"


class CliError(Exception):
    """A mistake the operator can fix: printed as one line and its hint, never as a traceback."""

    def __init__(self, message, hint="see `lightsail-warehouse COMMAND --help`", code=1):
        super().__init__(message)
        self.hint, self.code = hint, code


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head` closed our output: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # one clear line unless --debug
        if args.debug:
            raise
        name = "error" if isinstance(error, CliError) else f"error: {type(error).__name__}"
        print(f"{name}: {error}", file=sys.stderr)
        print(f"hint: {getattr(error, 'hint', 'rerun with --debug for the full traceback')}", file=sys.stderr)
        return error.code if isinstance(error, CliError) else 1


def _parser():
    parser = argparse.ArgumentParser(prog="lightsail-warehouse", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    common = argparse.ArgumentParser(add_help=False)  # `--debug` is also accepted after the command
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks")
    sub = _Commands(parser.add_subparsers(dest="command", required=True), common)
    _DB = os.environ.get("LIGHTSAIL_WAREHOUSE_DB", "data/warehouse.duckdb")  # noqa: N806 (a default, like a constant)

    run = sub.add_parser("run", help="snapshot the fleet into the warehouse (the main job)")
    _warehouse_args(run)
    run.add_argument("--regions", type=_region_list, help="comma-separated regions (default: LIGHTSAIL_WAREHOUSE_REGIONS, else all)")
    run.add_argument("--endpoint-url", help="Lightsail endpoint (default: AWS, or AWS_ENDPOINT_URL_LIGHTSAIL)")
    run.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    run.add_argument("--account-id", type=_account_id, help="account id to record (default: from STS, else from the ARNs)")
    run.add_argument("--no-health-status", action="store_true", help="do not ask for instance/system health")
    run.add_argument("--max-workers", type=_at_least(1), default=8, help="(account, region) pairs read in parallel")
    run.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="run the main job against the built-in local endpoint")
    # The demo never writes where LIGHTSAIL_WAREHOUSE_DB / _DATA_DIR point: that is the real warehouse.
    _warehouse_args(demo, db="data/demo.duckdb", data_dir="data/demo", env=False)
    _fleet_args(demo, size=1200, regions=DEMO_REGIONS, page_size=100)
    demo.set_defaults(func=cmd_demo)

    status = sub.add_parser("status", help="the last runs and, per region, the data the warehouse holds")
    status.add_argument("--db", type=_path, default=_DB, help=f"DuckDB file (default {_DB})")
    status.add_argument("--runs", type=_at_least(0), default=5, help="how many recent runs to list (default 5)")
    status.add_argument("--format", choices=["table", "json"], default="table")
    status.set_defaults(func=cmd_status)

    report = sub.add_parser("report", help="print a report (a `report_*` view); without NAME, list them")
    report.add_argument("name", nargs="?", help="report name, e.g. firewall_exposure (report_ prefix optional)")
    report.add_argument("--db", type=_path, default=_DB, help=f"DuckDB file (default {_DB})")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.set_defaults(func=cmd_report)

    export = sub.add_parser("export", help="write every table as Parquet, partitioned by snapshot date")
    export.add_argument("dir", help="output folder; DIR/<table>/snapshot_date=YYYY-MM-DD/part-0.parquet")
    export.add_argument("--format", choices=["parquet"], default="parquet")
    export.add_argument("--db", type=_path, default=_DB, help=f"DuckDB file (default {_DB})")
    export.add_argument("--all-history", action="store_true", help="every snapshot, not only the current one")
    export.set_defaults(func=cmd_export)

    replay = sub.add_parser("replay", help="rebuild a run's snapshot in the warehouse from its raw pages (no AWS call)")
    replay.add_argument("run", help="run id (a folder under DATA_DIR/runs/<date>/)")
    replay.add_argument("--db", type=_path, default=_DB, help=f"DuckDB file (default {_DB})")
    data_dir = os.environ.get("LIGHTSAIL_WAREHOUSE_DATA_DIR", "data")
    replay.add_argument("--data-dir", type=_path, default=data_dir, help=f"raw landing folder the run wrote to (default {data_dir})")
    replay.set_defaults(func=cmd_replay)

    prune = sub.add_parser("prune", help="remove raw pages and staging of old snapshot dates (the warehouse keeps their rows)")
    prune.add_argument("--keep-days", type=_keep_days, required=True,
                       help="keep the run folders of today's and the N previous days' snapshot dates (0 to 36500)")
    prune.add_argument("--data-dir", default=data_dir, help=f"raw landing folder (default {data_dir})")
    prune.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    prune.set_defaults(func=cmd_prune)

    fake = sub.add_parser("fake-endpoint", help="serve a generated fleet over the Lightsail API (foreground)")
    _fleet_args(fake, size=1200, regions=DEMO_REGIONS, page_size=100)
    fake.add_argument("--port", type=_at_least(0, high=65535), default=4566, help="TCP port on 127.0.0.1 (0: any free port; default 4566)")
    fake.add_argument("--throttle-rate", type=_share, default=0.0, help="share of requests answered 'Rate exceeded'")
    fake.add_argument("--error-rate", type=_share, default=0.0, help="share of requests answered HTTP 500")
    fake.add_argument("--latency", type=_at_least(0.0, float), default=0.0, help="seconds added to every request")
    fake.add_argument("--drop-connection-after-pages", type=_at_least(0), metavar="N",
                      help="the Nth GetInstances of each region gets no answer (connection closed), once")
    fake.add_argument("--expire-token-after-pages", type=_at_least(0), metavar="N",
                      help="the Nth GetInstances of each region is refused: its pageToken 'has expired', once")
    fake.add_argument("--failing-regions", type=_failing_regions, default="",
                      help="regions (or ACCOUNT/REGION) that always answer AccessDeniedException")
    fake.add_argument("--fault-seed", type=int, default=0, help="seed of the throttle/error draws")
    fake.add_argument("--day", type=_at_least(0, high=3650), default=0,
                      help="serve the fleet as it is after N nights of change: deletions, additions, stops and starts, "
                           "resizes, SSH opened, IMDSv1 allowed (default 0: as generated)")
    fake.set_defaults(func=cmd_fake_endpoint)
    return parser


class _Commands:
    """Subcommands that all share the common options."""

    def __init__(self, subparsers, common):
        self.subparsers, self.common = subparsers, common

    def add_parser(self, name, **kwargs):
        kwargs.setdefault("description", kwargs.get("help"))
        return self.subparsers.add_parser(name, parents=[self.common], **kwargs)


def _warehouse_args(parser, db="data/warehouse.duckdb", data_dir="data", env=True):
    if env:
        db = os.environ.get("LIGHTSAIL_WAREHOUSE_DB", db)
        data_dir = os.environ.get("LIGHTSAIL_WAREHOUSE_DATA_DIR", data_dir)
    parser.add_argument("--db", type=_path, default=db, help=f"DuckDB file (default {db})")
    parser.add_argument("--data-dir", type=_path, default=data_dir, help=f"raw landing and staging folder (default {data_dir})")
    parser.add_argument("--date", type=_date, default=None, help="snapshot date, YYYY-MM-DD (default: today, UTC)")


def _date(text):
    try:  # fromisoformat alone also takes 20261204 and 2026-W49-5
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _at_least(low, kind=int, high=None):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text} is below {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{text} is above {high}")
        return value
    return parse


def _keep_days(text):
    from pipelines.landing import check_keep_days

    try:
        return check_keep_days(text, "--keep-days")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fleet_regions(text):
    """Comma-separated region names where Lightsail exists: a fleet anywhere else could never be read."""
    from pipelines.regions import RegionError, validate_regions, without_lightsail

    try:
        regions = validate_regions(_split(text))
    except RegionError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not regions:
        raise argparse.ArgumentTypeError("give at least one region")
    elsewhere = without_lightsail(regions)
    if elsewhere:
        raise argparse.ArgumentTypeError(f"Lightsail does not exist in {', '.join(elsewhere)}: a run would skip it")
    return ",".join(regions)


def _failing_regions(text):
    from pipelines.regions import RegionError, validate_regions

    try:
        validate_regions([part.rpartition("/")[2] for part in _split(text)])
    except RegionError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _share(text):
    value = _at_least(0.0, float)(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text} is a share of requests: between 0 and 1")
    return value


def _check_profile(given):
    """A profile that does not exist is a configuration error: said before anything runs (or is recorded)."""
    import botocore.session

    name, source = (given, "--profile") if given else (os.environ.get("AWS_PROFILE"), "AWS_PROFILE")
    if not name:
        return
    known = botocore.session.Session().available_profiles  # reads the config files; needs no credentials
    if name not in known:
        raise CliError(
            f"AWS profile {name!r} ({source}) is not in the AWS config or credentials files",
            hint=f"profiles found: {', '.join(sorted(known))}" if known else
            "no profile is configured (~/.aws/config, ~/.aws/credentials); "
            + ("unset AWS_PROFILE" if source == "AWS_PROFILE" else "leave --profile out") + " to use the default chain",
        )


def _check_credentials(profile):
    """No credentials at all would fail every region the same way, and record them all as failed: said up front."""
    import boto3
    import botocore.exceptions

    try:
        found = boto3.Session(profile_name=profile).get_credentials()
    except botocore.exceptions.BotoCoreError as error:  # e.g. an expired SSO session, a key without its secret
        raise CliError(f"AWS credentials could not be loaded: {error}",
                       hint="fix the credentials named (an SSO session may need `aws sso login`) and run again") from None
    if found is None:
        raise CliError("no AWS credentials found (environment, ~/.aws files, SSO, container or instance role)",
                       hint="configure credentials; a local or compatible endpoint accepts any: "
                       "export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x")


def _path(text):
    """A file or folder path; an empty one (a variable set to nothing) would land in the working directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "an empty path (is LIGHTSAIL_WAREHOUSE_DB or LIGHTSAIL_WAREHOUSE_DATA_DIR set to nothing?)")
    return text


def _region_list(text):
    """Region names as given; an empty list (an unset shell variable) would silently mean every region."""
    if not _split(text):
        raise argparse.ArgumentTypeError("no region named: give a,b or leave --regions out to read every region")
    return text


def _account_id(text):
    if not re.fullmatch(r"\d{12}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an AWS account id (12 digits)")
    return text


def _check_snapshot_date(date, hint="--date names the day a snapshot stands for: today (the default), a past day, or "
                         "tomorrow (for schedules in zones ahead of UTC)"):
    """Dates the job's daily partitions hold: from their start to tomorrow (UTC) for schedules ahead of UTC."""
    from pipelines.assets import PARTITIONS

    first = PARTITIONS.start.date()
    last = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    if not first <= date <= last:
        raise CliError(f"snapshot date {date} is outside {first} .. {last}", hint=hint)


def _fleet_args(parser, size, regions, page_size):
    parser.add_argument("--size", type=_at_least(0), default=size, help=f"instances in the generated fleet (default {size})")
    parser.add_argument("--fleet-regions", type=_fleet_regions, default=regions,
                        help=f"regions of the fleet, where Lightsail exists (default {regions})")
    parser.add_argument("--page-size", type=_at_least(1), default=page_size, help=f"instances per page (default {page_size})")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--account", type=_account_id, default=DEMO_ACCOUNT, help="account id of the generated fleet")


def _endpoint_config(args, **faults):
    from pipelines.fake_endpoint.server import EndpointConfig

    return EndpointConfig(
        fleet_size=args.size, regions=tuple(_split(args.fleet_regions)), page_size=args.page_size,
        seed=args.seed, account_id=args.account, **faults,
    )


def cmd_run(args, show_summary=True):
    from pipelines.progress import ProgressResource
    from pipelines.resources import LightsailResource, WarehouseResource, keep_runs_days_from_env
    from pipelines.runner import run_job, summary
    from pipelines.warehouse import reader_path

    lightsail = LightsailResource(
        regions=_split(args.regions), endpoint_url=args.endpoint_url, profile=args.profile,
        account_id=args.account_id, include_health_status=not args.no_health_status, max_workers=args.max_workers,
    )
    try:
        keep_runs_days = keep_runs_days_from_env()
    except ValueError as error:
        raise CliError(str(error), hint="a whole number of days, or unset it to keep every run folder") from None
    warehouse = WarehouseResource(path=args.db, data_dir=args.data_dir, keep_runs_days=keep_runs_days)
    progress = ProgressResource(stderr=not getattr(args, "quiet", False), interval_s=1.0)
    snapshot_date = args.date or dt.datetime.now(dt.timezone.utc).date()
    _check_snapshot_date(snapshot_date)
    _check_profile(args.profile)
    _check_credentials(args.profile)
    findings, warnings, outcome, started = [], [], {}, time.time()
    dates_before = _run_dates(args.data_dir)
    ok, message = run_job(
        lightsail, warehouse, snapshot_date, progress=progress, log_level="INFO" if args.debug else "CRITICAL",
        findings=findings, warnings=warnings, outcome=outcome,
    )
    # Whether this run changed the warehouse (a partial snapshot fails the run but loads the regions that succeeded;
    # an interrupt can land after the COMMIT): its record is in extraction_runs. When the file cannot be read at
    # once, a reader copy published since the start tells.
    copy = reader_path(args.db)
    published = copy.exists() and copy.stat().st_mtime >= started
    loaded = _run_committed(args.db, outcome.get("run_id"))
    loaded = published if loaded is None else loaded
    interrupted = not ok and ("ExecutionInterrupted" in message or "Query interrupted" in message)
    code = 0 if ok else 130 if interrupted else 1
    try:  # what is printed from here on is a report: a closed pipe must not turn a failed run into exit 0
        # A run in which every region failed loaded only its record of the failures: no summary of older data.
        if show_summary and (ok or (loaded and not message.startswith("every region failed"))):
            print(summary(warehouse))
        for line in warnings:
            print(f"warning: {line}", file=sys.stderr)
        for line in findings:
            print(f"check: {line}", file=sys.stderr)
        pruned = sorted(dates_before - _run_dates(args.data_dir))
        if pruned:  # warehouse.keep_runs_days / LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS after the load
            print(f"pruned: the run folders of {plural(len(pruned), 'snapshot date')} more than {warehouse.keep_runs_days} "
                  f"days old ({', '.join(pruned)}) under {Path(args.data_dir) / 'runs'}", file=sys.stderr)
        if loaded and not published and code != 130:
            print(f"warning: the reader copy {copy} was not refreshed (e.g. no room for a second copy of the "
                  "warehouse): readers of it see the previous load until the next one; --debug shows why", file=sys.stderr)
        if code == 130 and loaded:
            unpublished = "" if published else "; its reader copy was not refreshed"
            print(f"error: interrupted after the load committed: snapshot {snapshot_date} is in the warehouse "
                  f"(its checks may not have been reported{unpublished})", file=sys.stderr)
        elif code == 130 and outcome.get("folder") is not None:
            print("error: interrupted during the load: the warehouse was not changed (the transaction rolled back); "
                  "the extraction is complete", file=sys.stderr)
            print(f"hint: load it without asking AWS again: {_replay_command(args, outcome['folder'])}", file=sys.stderr)
        elif code == 130:
            print("error: interrupted: the run stopped between pages; nothing of it was loaded "
                  "(its pages landed so far stay under the data folder, without a manifest)", file=sys.stderr)
        elif code:
            print(f"error: {message}", file=sys.stderr)
            print(f"hint: {_run_failure_hint(args, outcome.get('folder'), message, loaded)}", file=sys.stderr)
    except BrokenPipeError:
        for stream in (sys.stdout, sys.stderr):  # nobody reads them: later writes (at exit too) go nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    return code


def _run_dates(data_dir):
    """The snapshot dates that have run folders under `data_dir`."""
    runs = Path(data_dir) / "runs"
    return {p.name for p in runs.iterdir() if p.is_dir()} if runs.is_dir() else set()


def _run_committed(db, run_id):
    """Whether the warehouse holds run `run_id`'s record, i.e. its load committed; None when that cannot be read."""
    import duckdb

    from pipelines.status import has_table
    from pipelines.warehouse import WarehouseLocked, connect

    if not run_id or not Path(db).exists():
        return False if run_id else None
    try:
        con = connect(db, read_only=True, lock_timeout_s=2.0)
    except (WarehouseLocked, duckdb.Error, OSError):
        return None
    try:
        if not has_table(con, "extraction_runs"):
            return False
        return con.execute("select count(*) from extraction_runs where run_id = ?", [run_id]).fetchone()[0] > 0
    except duckdb.Error:
        return None
    finally:
        con.close()


def _run_failure_hint(args, folder, message, loaded):
    """What to do next: depends on whether regions failed (recorded), the file was locked, or nothing began.

    `folder` is the run's extraction when it finished (its RunFolder), else None."""
    debug = "" if getattr(args, "debug", False) else "--debug shows Dagster's log"
    if message.startswith("WarehouseLocked"):
        replay = f", or load the landed pages later with `{_replay_command(args, folder)}`" if folder else ""
        return f"the warehouse was not changed; close that process and run again{replay}"
    if message.startswith(("every region failed", "partial snapshot")):  # recorded in extraction_runs
        status = f"`lightsail-warehouse status --db {shlex.quote(args.db)}` shows each region's last error"
        return "; ".join(filter(None, [status, debug])) if loaded or Path(args.db).exists() else debug or status
    replay = f"the extraction is complete: once that is fixed, load it with `{_replay_command(args, folder)}`" if folder else ""
    if not Path(args.db).exists():
        return "; ".join(filter(None, [f"nothing was loaded ({args.db} does not exist yet)", replay, debug]))
    if not loaded:
        return "; ".join(filter(None, ["the warehouse was not changed", replay, debug]))
    return debug or "the run's errors are above"


def _replay_command(args, folder):
    return (f"lightsail-warehouse replay {folder.run_id} --db {shlex.quote(args.db)} "
            f"--data-dir {shlex.quote(args.data_dir)}")


def cmd_demo(args):
    """Two nights of the generated fleet, yesterday's and today's (one night of changes apart), so the history
    and change views have something to show; then the summary and what changed."""
    import dataclasses

    from pipelines.fake_endpoint.server import FakeLightsail

    today = args.date or dt.datetime.now(dt.timezone.utc).date()
    _check_snapshot_date(today)
    yesterday = today - dt.timedelta(days=1)
    _check_snapshot_date(yesterday, hint="the demo loads the day before --date too: give a later date")
    # Nights count from the demo warehouse's first snapshot: a demo run again tomorrow serves today's fleet
    # exactly as today's run did, and history is not rewritten.
    day_zero = _first_snapshot_date(args.db) or yesterday
    if yesterday < day_zero:  # counting nights from an earlier day would serve every loaded day differently
        raise CliError(f"the demo warehouse {args.db} starts on {day_zero}: a demo for {today} would load {yesterday}, "
                       "before it", hint=f"give a --date after {day_zero}, or a new --db")
    nights = [(date, (date - day_zero).days) for date in (yesterday, today)]
    print(f"local Lightsail endpoint with a generated fleet of {args.size} instances on {day_zero}, served as it is "
          f"on {yesterday} and {today} (nights of change since: {nights[0][1]} and {nights[1][1]})")
    if _has_snapshot(args.db, yesterday, _split(args.fleet_regions)):  # an earlier demo loaded it: not rewritten
        print(f"snapshot {yesterday} is already in {args.db}; loading {today}")
        nights = nights[1:]
    os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo")
    os.environ.pop("AWS_PROFILE", None)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    for date, day in nights:
        with FakeLightsail(dataclasses.replace(_endpoint_config(args), day=day, day_zero=day_zero)) as endpoint:
            os.environ["AWS_ENDPOINT_URL_LIGHTSAIL"] = endpoint.url
            night = argparse.Namespace(**vars(args))
            night.regions, night.endpoint_url, night.profile, night.account_id = args.fleet_regions, endpoint.url, None, args.account
            night.no_health_status, night.max_workers, night.date = False, 8, date
            code = cmd_run(night, show_summary=date == today)
        if code:
            return code
        if date != today:
            print(f"snapshot {date} loaded; now the next night's fleet, with its changes:")
    _print_changes(args.db, today)
    return 0


def _has_snapshot(db, date, regions):
    """Whether the warehouse holds a snapshot of `date` for every one of `regions`."""
    from pipelines.readout import open_for_reading
    from pipelines.status import has_table

    if not Path(db).exists():
        return False
    con = open_for_reading(db)
    try:
        return has_table(con, "snapshots") and con.execute(
            "select count(distinct region) from snapshots where snapshot_date = ? and list_contains(?, region)",
            [date, regions]).fetchone()[0] == len(set(regions))
    finally:
        con.close()


def _first_snapshot_date(db):
    """The earliest snapshot in a warehouse (None without one): where the demo's nights of change count from."""
    from pipelines.readout import open_for_reading
    from pipelines.status import has_table

    if not Path(db).exists():
        return None
    con = open_for_reading(db)
    try:
        if not has_table(con, "snapshots"):
            return None
        return con.execute("select min(snapshot_date) from snapshots").fetchone()[0]
    finally:
        con.close()


def _print_changes(db, date):
    """The demo's last word: what changed overnight, and the views that show it."""
    from pipelines.readout import open_for_reading

    con = open_for_reading(db)
    try:
        added_removed = dict(con.execute(
            "select change, count(*) from instance_changes where snapshot_date = ? group by all", [date]).fetchall())
        fields = con.execute(
            "select field, count(*) from instance_field_changes where snapshot_date = ? group by all order by 2 desc, 1",
            [date]).fetchall()
    finally:
        con.close()
    print(f"\nChanges since the previous snapshot: {plural(added_removed.get('added', 0), 'instance')} added, "
          f"{added_removed.get('removed', 0)} removed; changed: "
          + (", ".join(f"{field} {n}" for field, n in fields) or "nothing"))
    print("  select * from instance_field_changes order by all   -- the same, row by row (see README: Changes)")


def cmd_status(args):
    from pipelines.readout import status_text

    print(status_text(args.db, args.runs, args.format))


def cmd_report(args):
    from pipelines.readout import report_text

    try:
        print(report_text(args.db, args.name, args.format))
    except LookupError as error:
        raise CliError(str(error), hint=f"`lightsail-warehouse report --db {shlex.quote(args.db)}` lists them") from None


def cmd_export(args):
    from pipelines.export import export_parquet
    from pipelines.readout import open_for_reading

    target = Path(args.dir)
    blocking = next((p for p in [target, *target.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise CliError(f"cannot export into {target}: {blocking} is a file", hint="give a folder (it is created if missing)")
    con = open_for_reading(args.db)
    leftovers = []
    try:
        rows = export_parquet(con, args.dir, all_history=args.all_history, leftovers=leftovers)
    finally:
        con.close()
    scope = "all snapshots" if args.all_history else "the current snapshot"
    print(f"exported {scope} of {len(rows)} tables to {args.dir}:")
    for name, n in rows.items():
        print(f"  {name:<34} {n:>9} rows")
    for leftover in leftovers:
        print(f"warning: the previous export's folder could not be removed: {leftover}", file=sys.stderr)


def cmd_replay(args):
    import duckdb

    from pipelines.landing import find_run
    from pipelines.replay import replay_run
    from pipelines.warehouse import connect

    try:
        folder = find_run(args.data_dir, args.run)
    except FileNotFoundError as error:
        raise CliError(str(error), hint="pass --data-dir: the folder `run --data-dir` wrote to (default data; "
                       "the demo's is data/demo); `lightsail-warehouse status` lists run ids; "
                       "runs removed by `prune` cannot be replayed") from None
    if not folder.manifest_path().exists():
        raise CliError(f"run {args.run} never finished extracting (interrupted or crashed): it has no manifest",
                       hint="run the snapshot again; only finished runs can be replayed")
    manifest = folder.read_manifest()
    if not any(r["status"] == "ok" for r in manifest["regions"]):
        raise CliError(f"no region of run {args.run} was extracted: there is nothing to replay",
                       hint="`lightsail-warehouse status` shows why its regions failed")
    con, started = connect(args.db), dt.datetime.now(dt.timezone.utc)
    try:
        manifest, inserted = replay_run(con, args.data_dir, args.run)
    except (KeyboardInterrupt, duckdb.InterruptException, RuntimeError) as error:
        if isinstance(error, RuntimeError) and "interrupted" not in str(error).lower():
            raise
        committed = _replay_committed(con, args.run, started)  # Ctrl-C inside a statement: DuckDB's "Query interrupted"
        raise CliError("interrupted: " + ("the replay had committed: the snapshot is loaded" if committed
                       else "the replay stopped before its commit: the warehouse was not changed"),
                       hint="run the replay again: it replaces the same snapshot", code=130) from None
    finally:
        con.close()
    replayed = [r for r in manifest["regions"] if r["status"] == "ok"]
    print(f"replayed run {manifest['run_id']} (snapshot {manifest['snapshot_date']}) from "
          f"{sum(r['pages'] for r in replayed)} raw pages of {len(replayed)} regions into {args.db}:")
    for name, n in inserted.items():
        print(f"  {name:<34} {n:>9} rows")


def _replay_committed(con, run_id, started):
    """Whether run `run_id`'s snapshot rows were loaded at or after `started` (this replay's commit went through)."""
    try:
        (loaded_at,) = con.execute("select max(loaded_at) from snapshots where run_id = ?", [run_id]).fetchone()
    except duckdb.Error:
        return False
    return loaded_at is not None and loaded_at >= started


def cmd_prune(args):
    from pipelines.landing import prune_runs

    if not (Path(args.data_dir) / "runs").is_dir():
        raise CliError(f"no run folders under {Path(args.data_dir) / 'runs'}",
                       hint="pass --data-dir: the folder `run --data-dir` wrote to (default data; the demo's is data/demo)")
    today = dt.datetime.now(dt.timezone.utc).date()
    removed = prune_runs(args.data_dir, args.keep_days, today, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {plural(len(removed), 'snapshot date')} of run folders ({sum(size for _, size in removed) / 1e6:.1f} MB) "
          f"older than {today - dt.timedelta(days=args.keep_days)} under {Path(args.data_dir) / 'runs'}")
    for folder, size in removed:
        print(f"  {folder}  {size / 1e6:.1f} MB")


def cmd_fake_endpoint(args):
    from pipelines.fake_endpoint.server import serve

    config = _endpoint_config(
        args, port=args.port, throttle_rate=args.throttle_rate, error_rate=args.error_rate, latency_s=args.latency,
        drop_connection_after_pages=args.drop_connection_after_pages,
        expire_token_after_pages=args.expire_token_after_pages,
        failing_regions=tuple(_split(args.failing_regions)), fault_seed=args.fault_seed, day=args.day,
    )
    changed = f" on day 0, served after {plural(args.day, 'night')} of change" if args.day else ""
    try:
        serve(config, announce=lambda url: print(
            f"Lightsail endpoint on {url} ({args.size} instances in {args.fleet_regions}{changed}); Ctrl-C stops it.\n"
            f"  export AWS_ENDPOINT_URL_LIGHTSAIL={url} AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo",
            flush=True,
        ))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise CliError(f"port {args.port} is already in use", hint="choose another --port, or --port 0 for a free one") from None


def _split(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


if __name__ == "__main__":
    sys.exit(main())
