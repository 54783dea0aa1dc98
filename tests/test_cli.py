"""The CLI as an operator meets it: progress while running, `status`, `report`, and one-line errors."""

import csv
import io
import json
import math
import os

import pytest

from pipelines.cli import DEMO_REGIONS, main
from pipelines.fake_endpoint import region_sizes
from pipelines.extract import RegionStats
from pipelines.progress import Progress
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.warehouse import connect
from tests.conftest import FLEET, SNAPSHOT
from tests.warehouse_helpers import stage_run


def _run(endpoint, tmp_path, *extra):
    return main([
        "run", "--endpoint-url", endpoint.url, "--regions", ",".join(FLEET.regions), "--date", SNAPSHOT.isoformat(),
        "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data"), *extra,
    ])


@pytest.fixture
def db(endpoint, tmp_path, capsys):
    """A warehouse loaded once through `lightsail-warehouse run`, with one extra report view."""
    assert _run(endpoint, tmp_path) == 0
    con = connect(tmp_path / "w.duckdb")
    con.execute("create or replace view report_test_regions as "
                "select region, count(*) as instances from current_instances group by all order by region")
    con.execute("create or replace view report_test_values as "
                "select ['0.0.0.0/0', '::/0'] as cidrs, true as open_to_world, {'from': 22, 'to': 22} as ports")
    con.execute("create or replace view report_test_long as select range as n from range(200000)")
    con.close()
    capsys.readouterr()
    return str(tmp_path / "w.duckdb")


def test_run_shows_progress_per_region_on_stderr(endpoint, tmp_path, capsys, fleet):
    assert _run(endpoint, tmp_path) == 0
    err = capsys.readouterr().err.splitlines()
    pages = {region: math.ceil(len(records) / FLEET.page_size) for region, records in fleet.items()}
    per_region = ", ".join(f"{r} {pages[r]}p/{len(fleet[r])}" for r in sorted(fleet))
    assert err[-1] == f"extracting: 3 regions, {sum(pages.values())} pages, {FLEET.fleet_size} instances ({per_region})"
    assert all(line.startswith("extracting: ") for line in err)


def test_progress_while_running_counts_pages_read_and_instances_staged():
    """Staging counts instances a batch at a time: running lines say "staged", the final line gives them all."""
    lines, now = [], [0.0]
    progress = Progress(lambda text, final: lines.append((text, final)), interval_s=1.0, clock=lambda: now[0], tick=False)
    east, west = RegionStats(pages=3), RegionStats()
    progress("default", "us-east-1", east)  # within the first interval: not emitted
    now[0] = 1.0
    progress("default", "us-east-1", east)
    now[0] = 1.5
    progress("default", "eu-west-2", west)  # within the interval: not emitted
    now[0] = 2.5
    east.pages, east.instances = 60, 5000
    west.errors, west.last_error = 4, "ThrottlingException"
    progress("default", "us-east-1", east)
    now[0] = 4.0
    progress("default", "us-east-1", east)  # nothing changed: not emitted again
    east.pages, east.instances, east.outcome = 61, 6100, "done"
    now[0] = 5.5
    progress("default", "us-east-1", east)
    west.outcome = "failed"
    progress.finish()
    assert lines == [
        ("extracting: 1 region, 3 pages read, 0 instances staged (us-east-1 3p)", False),
        ("extracting: 2 regions, 60 pages read, 5000 instances staged "
         "(eu-west-2 0p (4 failed requests, last ThrottlingException), us-east-1 60p)", False),
        ("extracting: 2 regions, 61 pages read, 6100 instances staged "
         "(eu-west-2 0p (4 failed requests, last ThrottlingException), us-east-1 61p done)", False),
        ("extracting: 2 regions, 61 pages, 6100 instances "
         "(eu-west-2 0p/0 failed (4 failed requests, last ThrottlingException), us-east-1 61p/6100)", True),
    ]


def test_a_region_stuck_in_retries_shows_its_errors_between_pages(tmp_path, capsys):
    """No page arrives while botocore retries: the ticker still prints the line, with the failed requests."""
    from pipelines.progress import ProgressResource
    from pipelines.resources import LightsailResource, WarehouseResource
    from pipelines.runner import run_job

    config = EndpointConfig(fleet_size=30, regions=("us-east-1",), page_size=10, error_rate=1.0)
    with FakeLightsail(config) as storm:
        lightsail = LightsailResource(regions=["us-east-1"], endpoint_url=storm.url, account_id="123456789012",
                                      max_attempts=3, page_retries=2, page_backoff_s=0.5)
        warehouse = WarehouseResource(path=str(tmp_path / "w.duckdb"), data_dir=str(tmp_path / "data"))
        ok, error = run_job(lightsail, warehouse, SNAPSHOT, progress=ProgressResource(stderr=True, interval_s=0.2))
    assert not ok and "ServiceException" in error
    err = capsys.readouterr().err.splitlines()
    retrying = [line for line in err if line.startswith("extracting: 1 region, 0 pages read, 0 instances staged (us-east-1 0p (")]
    assert retrying and retrying[-1].endswith(" failed requests, last ServiceException))"), err
    assert err[-1] == "extracting: 1 region, 0 pages, 0 instances (us-east-1 0p/0 failed (9 failed requests, last ServiceException))"


def test_run_quiet_prints_no_progress(endpoint, tmp_path, capsys):
    assert _run(endpoint, tmp_path, "--quiet") == 0
    assert capsys.readouterr().err == ""


def test_status_lists_the_last_run_and_every_region(db, capsys, fleet):
    assert main(["status", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Last runs:\nrun_id")
    assert "Regions (what the current_* views show):" in out
    for region, records in fleet.items():
        [line] = [line for line in out.splitlines() if f"  {region}  " in line]
        assert " ok " in line and f" {SNAPSHOT} " in line and f" {len(records)} " in line and " fresh" in line
    assert main(["status", "--db", db, "--runs", "0"]) == 0  # the regions only
    assert capsys.readouterr().out.startswith("Regions (what the current_* views show):\n")

    assert main(["status", "--db", db, "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(r["snapshot_date"], r["regions_ok"], r["regions_failed"], r["instances"]) for r in status["runs"]] == [
        (SNAPSHOT.isoformat(), 3, 0, FLEET.fleet_size)
    ]
    assert {r["region"]: r["instances"] for r in status["regions"]} == {k: len(v) for k, v in fleet.items()}


def test_report_prints_a_view_as_table_csv_and_json(db, capsys, fleet):
    expected = {region: len(records) for region, records in fleet.items()}
    assert main(["report", "--db", db]) == 0
    assert "test_regions" in capsys.readouterr().out.removeprefix("Reports: ").split(", ")

    assert main(["report", "test_regions", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["region", "instances"] and lines[-1] == "(3 rows)"
    assert {line.split()[0]: int(line.split()[1]) for line in lines[2:-1]} == expected

    assert main(["report", "report_test_regions", "--db", db, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["region"]: int(r["instances"]) for r in rows} == expected

    assert main(["report", "test_regions", "--db", db, "--format", "json"]) == 0
    assert {r["region"]: r["instances"] for r in json.loads(capsys.readouterr().out)} == expected

    assert main(["report", "--db", db, "--format", "json"]) == 0  # the list of reports, as JSON too
    listed = [r["report"] for r in json.loads(capsys.readouterr().out)]
    assert "test_regions" in listed and "firewall_exposure" in listed
    assert main(["report", "--db", db, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "report"


def test_an_unknown_report_is_one_line_naming_the_reports_there_are(db, capsys):
    assert main(["report", "nope", "--db", db]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: no report named 'nope'; available: ")
    assert "test_regions" in err[0] and err[1:] == [f"hint: `lightsail-warehouse report --db {db}` lists them"]
    assert main(["report", "REPORT_Test_Regions", "--db", db, "--format", "csv"]) == 0  # names are not case-sensitive
    assert capsys.readouterr().out.startswith("region,instances")


def test_a_missing_warehouse_is_an_error_line_and_a_hint(tmp_path, capsys):
    assert main(["status", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: NoWarehouse: no warehouse at {tmp_path / 'none.duckdb'}",
        "hint: run `lightsail-warehouse run` (or `lightsail-warehouse demo --db ...`) first, or pass --db",
    ]
    with pytest.raises(FileNotFoundError):
        main(["--debug", "status", "--db", str(tmp_path / "none.duckdb")])


def test_a_failed_run_ends_in_one_error_line_not_a_traceback(tmp_path, capsys):
    config = EndpointConfig(fleet_size=60, regions=FLEET.regions, page_size=FLEET.page_size, failing_regions=("eu-west-2",))
    with FakeLightsail(config) as endpoint:
        assert _run(endpoint, tmp_path, "--quiet") == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Stack Trace" not in captured.err
    assert captured.err.splitlines() == [
        "error: partial snapshot: default/eu-west-2 failed; previous data, if any, stays current",
        f"hint: `lightsail-warehouse status --db {tmp_path / 'w.duckdb'}` shows each region's last error; --debug shows Dagster's log",
    ]
    assert main(["status", "--db", str(tmp_path / "w.duckdb")]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if "  eu-west-2  " in line]
    assert " failed " in line and "AccessDeniedException" in line and " stale " in line  # as report_stale_regions


def test_fake_endpoint_command_serves_a_fleet_with_the_faults_asked_for(tmp_path, capsys):
    """`lightsail-warehouse fake-endpoint` in its own process, as an operator starts it by hand."""
    import signal
    import subprocess
    import sys

    command = [
        sys.executable, "-m", "pipelines.cli", "fake-endpoint", "--port", "0", "--size", "90",
        "--fleet-regions", "us-east-1,eu-west-2", "--page-size", "20",
        "--failing-regions", "eu-west-2", "--drop-connection-after-pages", "2",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        assert first.startswith("Lightsail endpoint on http://127.0.0.1:") and "(90 instances in us-east-1,eu-west-2)" in first
        url = first.split()[3]
        code = main([
            "run", "--endpoint-url", url, "--regions", "us-east-1,eu-west-2", "--date", SNAPSHOT.isoformat(),
            "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data"), "--quiet",
        ])
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    assert code == 1
    assert "default/eu-west-2 failed" in capsys.readouterr().err
    con = connect(tmp_path / "w.duckdb")
    try:
        runs = dict(con.execute("select region, status from extraction_runs").fetchall())
        # us-east-1 lost its second page's connection once; botocore asked again and the region loaded whole
        served = con.execute("select count(*) from current_instances where region = 'us-east-1'").fetchone()[0]
        attempts, pages = con.execute("select attempts, pages from extraction_runs where region = 'us-east-1'").fetchone()
    finally:
        con.close()
    assert runs == {"us-east-1": "ok", "eu-west-2": "failed"}
    from pipelines.fake_endpoint.fleet import region_sizes

    assert served == region_sizes(90, ["us-east-1", "eu-west-2"])["us-east-1"] and pages >= 2
    assert attempts == pages + 1


def test_lists_structs_and_booleans_print_as_json_and_true_false(db, capsys):
    assert main(["report", "test_values", "--db", db, "--format", "csv"]) == 0
    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row == {"cidrs": '["0.0.0.0/0", "::/0"]', "open_to_world": "true", "ports": '{"from": 22, "to": 22}'}
    assert main(["report", "test_values", "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"cidrs": ["0.0.0.0/0", "::/0"], "open_to_world": True, "ports": {"from": 22, "to": 22}}]


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(db):
    import subprocess
    import sys

    reader = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "report", "test_long", "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert reader.stdout.readline().split() == [b"n"]
    reader.stdout.close()  # as `| head -1` does
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""


def test_debug_is_accepted_after_the_command_too(tmp_path):
    with pytest.raises(FileNotFoundError):
        main(["status", "--db", str(tmp_path / "none.duckdb"), "--debug"])


def test_snapshot_dates_are_checked_before_anything_runs(tmp_path, capsys):
    base = ["run", "--endpoint-url", "http://127.0.0.1:9", "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path)]
    assert main(base + ["--date", "2099-01-01"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: snapshot date 2099-01-01 is outside 2024-01-01 .. ") and err[1].startswith("hint: ")
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "runs").exists()
    with pytest.raises(SystemExit) as exit_:
        main(base + ["--date", "2026/12/04"])
    assert exit_.value.code == 2 and "'2026/12/04' is not a date: use YYYY-MM-DD" in capsys.readouterr().err


def test_export_and_replay_mistakes_are_one_line_with_a_hint(db, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for target in (afile, afile / "sub"):
        assert main(["export", "--format", "parquet", str(target), "--db", db]) == 1
        assert capsys.readouterr().err.splitlines() == [
            f"error: cannot export into {target}: {afile} is a file", "hint: give a folder (it is created if missing)",
        ]
    assert afile.read_text() == "keep me"
    assert main(["export", "--format", "parquet", str(tmp_path / "out"), "--db", str(tmp_path / "none.duckdb")]) == 1
    assert capsys.readouterr().err.startswith(f"error: NoWarehouse: no warehouse at {tmp_path / 'none.duckdb'}")
    assert main(["replay", "no-such-run", "--db", db, "--data-dir", str(tmp_path / "elsewhere")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: no run no-such-run under {tmp_path / 'elsewhere' / 'runs'}"
    assert err[1].startswith("hint: pass --data-dir: the folder `run --data-dir` wrote to")
    unfinished = tmp_path / "data" / "runs" / SNAPSHOT.isoformat() / "cut-short"
    (unfinished / "raw").mkdir(parents=True)  # an interrupted run: pages, no manifest
    assert main(["replay", "cut-short", "--db", db, "--data-dir", str(tmp_path / "data")]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: run cut-short never finished extracting (interrupted or crashed): it has no manifest")
    stage_run(tmp_path / "data", SNAPSHOT, {"us-east-1": "AccessDeniedException"}, run_id="all-failed")
    assert main(["replay", "all-failed", "--db", db, "--data-dir", str(tmp_path / "data")]) == 1
    assert capsys.readouterr().err.splitlines()[0] == "error: no region of run all-failed was extracted: there is nothing to replay"


def test_a_failed_check_is_printed_even_when_the_run_succeeds(tmp_path, capsys):
    """A region that lost most of its instances loads (it may be true) but the operator is told."""
    for day, size in ((1, 120), (2, 30)):
        config = EndpointConfig(regions=("us-east-1",), region_sizes=(size,), page_size=50)
        with FakeLightsail(config) as endpoint:
            assert main([
                "run", "--endpoint-url", endpoint.url, "--regions", "us-east-1", "--date", f"2026-12-0{day}",
                "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data"), "--quiet",
            ]) == 0
    checks = [line for line in capsys.readouterr().err.splitlines() if line.startswith("check: ")]
    assert checks == [
        "check: instances:instance_count_drop (warning): regions_compared=1, regions_first_snapshot=0, "
        "previous_instances=120, current_instances=30, "
        "max_drop_share=0.2, dropped_regions=us-east-1: 120 on 2026-12-01 -> 30"
    ]


def test_an_account_id_that_contradicts_the_arns_fails_those_regions(endpoint, tmp_path, capsys):
    assert _run(endpoint, tmp_path, "--quiet") == 0
    capsys.readouterr()
    assert _run(endpoint, tmp_path, "--quiet", "--account-id", "999999999999") == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: every region failed; first error: AccountMismatch: account id "
                                   "999999999999 was given (or assumed) for account 'default', but the "
                                   "instances served belong to 123456789012")
    assert captured.out == ""  # only the failures were recorded: no summary of the older data as if just loaded
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:  # nothing misfiled: the current views hold each instance once, under its real account
        accounts = con.execute("select account_id, count(*), count(distinct arn) from current_instances group by all").fetchall()
    finally:
        con.close()
    assert accounts == [("123456789012", FLEET.fleet_size, FLEET.fleet_size)]


def test_status_shows_the_latest_attempt_and_agrees_with_report_stale_regions(tmp_path, capsys):
    import dataclasses
    import datetime as dt

    def run(date, failing=()):
        config = dataclasses.replace(FLEET, fleet_size=90, failing_regions=failing)
        with FakeLightsail(config) as server:
            return main([
                "run", "--endpoint-url", server.url, "--regions", ",".join(FLEET.regions), "--date", date.isoformat(),
                "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data"), "--quiet",
            ])

    def eu_west_2():
        capsys.readouterr()  # the runs' own output
        assert main(["status", "--db", str(tmp_path / "w.duckdb"), "--format", "json"]) == 0
        [row] = [r for r in json.loads(capsys.readouterr().out)["regions"] if r["region"] == "eu-west-2"]
        return row["last_status"], row["current_snapshot"], row["freshness"], row["last_error"]

    day = SNAPSHOT
    assert run(day - dt.timedelta(days=1), failing=("eu-west-2",)) == 1
    assert run(day) == 0  # recovered: the older attempt's error is not the latest attempt's
    assert eu_west_2() == ("ok", day.isoformat(), "fresh", None)
    assert run(day - dt.timedelta(days=3), failing=("eu-west-2",)) == 1  # a failed backfill of an older day
    assert eu_west_2()[:3] == ("failed", day.isoformat(), "fresh")  # the views still show the newest data
    capsys.readouterr()
    assert main(["report", "stale_regions", "--db", str(tmp_path / "w.duckdb"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_run_stopped_before_extracting_prints_no_summary_and_no_earlier_findings(endpoint, tmp_path, capsys):
    config = EndpointConfig(fleet_size=60, regions=FLEET.regions, page_size=FLEET.page_size, failing_regions=("eu-west-2",))
    with FakeLightsail(config) as failing:
        assert _run(failing, tmp_path, "--quiet") == 1  # partial: loads the others, prints their summary and a check line
    first = capsys.readouterr()
    assert "Current instances by region and state:" in first.out
    assert _run(endpoint, tmp_path, "--quiet", "--regions", "eu-west-2a") == 1  # a typo: stops before any request
    captured = capsys.readouterr()
    assert captured.out == ""
    assert [line for line in captured.err.splitlines() if line.startswith("check:")] == []
    assert "hint: the warehouse was not changed;" in captured.err


def test_a_locked_warehouse_hint_names_the_landed_run_to_replay(tmp_path):
    import argparse

    from pipelines.cli import _run_failure_hint
    from pipelines.landing import RunFolder

    args = argparse.Namespace(db=str(tmp_path / "w.duckdb"), data_dir=str(tmp_path / "data"))
    locked = "WarehouseLocked: could not open the warehouse ... held by PID 4242"
    assert _run_failure_hint(args, None, locked, False) == "the warehouse was not changed; close that process and run again"
    folder = RunFolder(args.data_dir, SNAPSHOT, "run-1")
    folder.write_manifest({"run_id": "run-1", "regions": []})
    assert _run_failure_hint(args, folder, locked, False) == (
        "the warehouse was not changed; close that process and run again, or load the landed pages later with "
        f"`lightsail-warehouse replay run-1 --db {args.db} --data-dir {args.data_dir}`"
    )


@pytest.mark.parametrize("given", ["AWS_PROFILE", "--profile"])
def test_a_missing_profile_is_refused_before_anything_runs_or_is_recorded(given, endpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    (tmp_path / "config").write_text("[profile team-a]\nregion = us-east-1\n[default]\nregion = us-east-1\n")
    if given == "AWS_PROFILE":
        monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    extra = ["--profile", "no-such-profile"] if given == "--profile" else []
    assert _run(endpoint, tmp_path, "--quiet", *extra) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: AWS profile 'no-such-profile' ({given}) is not in the AWS config or credentials files",
        "hint: profiles found: default, team-a",
    ]
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "data").exists()


def test_a_configuration_error_hint_does_not_send_the_user_to_status(endpoint, tmp_path, capsys):
    assert _run(endpoint, tmp_path, "--quiet", "--regions", "eu-west-2a") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: ") and "eu-west-2a" in err[0]
    assert err[1] == f"hint: nothing was loaded ({tmp_path / 'w.duckdb'} does not exist yet); --debug shows Dagster's log"


def test_the_demo_never_writes_where_the_real_warehouse_is_configured(monkeypatch):
    from pipelines.cli import _parser

    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_DB", "/srv/real/warehouse.duckdb")
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_DATA_DIR", "/srv/real/data")
    demo = _parser().parse_args(["demo"])
    assert (demo.db, demo.data_dir) == ("data/demo.duckdb", "data/demo")
    run = _parser().parse_args(["run"])
    assert (run.db, run.data_dir) == ("/srv/real/warehouse.duckdb", "/srv/real/data")


@pytest.mark.parametrize("argv", [
    ["run", "--account-id", "abc"], ["run", "--max-workers", "0"], ["status", "--runs", "-1"], ["run", "--regions", ""],
    ["run", "--regions", " , "], ["run", "--date", "20261204"],
    ["fake-endpoint", "--throttle-rate", "2"], ["fake-endpoint", "--size", "-5"], ["demo", "--page-size", "0"],
])
def test_out_of_range_options_are_refused_before_anything_runs(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "error: argument" in capsys.readouterr().err


@pytest.mark.parametrize("command, option, value, says", [
    ("fake-endpoint", "--fleet-regions", "us-est-1", "did you mean 'us-east-1'?"),
    ("fake-endpoint", "--fleet-regions", "", "give at least one region"),
    ("demo", "--fleet-regions", "us-west-1", "Lightsail does not exist in us-west-1"),
    ("fake-endpoint", "--failing-regions", "123456789012/foo", "'foo' is not an AWS region name"),
    ("fake-endpoint", "--drop-connection-after-pages", "-1", "-1 is below 0"),
    ("fake-endpoint", "--port", "99999", "99999 is above 65535"),
])
def test_the_local_endpoint_refuses_settings_that_cannot_work(command, option, value, says, capsys):
    with pytest.raises(SystemExit) as refused:
        main([command, option, value])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: " in err and says in err


def test_the_demo_loads_two_nights_and_ends_with_what_changed(tmp_path, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_LIGHTSAIL"):
        monkeypatch.setenv(name, "restored-after-the-test")
    db = tmp_path / "demo.duckdb"
    assert main(["demo", "--size", "400", "--db", str(db), "--data-dir", str(tmp_path / "data"), "--date", "2026-12-02"]) == 0
    out = capsys.readouterr().out
    con = connect(db, read_only=True)
    try:
        dates = con.execute("select distinct snapshot_date::varchar from snapshots order by 1").fetchall()
        changes = dict(con.execute("select change, count(*) from instance_changes where snapshot_date = '2026-12-02' group by all").fetchall())
        fields = dict(con.execute("select field, count(*) from instance_field_changes where snapshot_date = '2026-12-02' group by all").fetchall())
    finally:
        con.close()
    assert dates == [("2026-12-01",), ("2026-12-02",)]
    assert changes["added"] == sum(-(-n // 50) for n in region_sizes(400, list(DEMO_REGIONS.split(",")), 7).values())
    assert changes["removed"] > 0 and fields["state_name"] > 0 and fields["bundle_id"] > 0
    assert out.count("Current instances by region and state:") == 1  # one summary, after the second night
    assert f"Changes since the previous snapshot: {changes['added']} instances added, {changes['removed']} removed; changed: " in out
    assert f"state_name {fields['state_name']}" in out

    def history():
        con = connect(db, read_only=True)
        try:
            return con.execute("select snapshot_date::varchar, count(*), count(distinct arn), "
                               "max(created_at) < max(snapshot_date)::timestamptz from instances group by 1 order by 1").fetchall(), \
                con.execute("select snapshot_date::varchar, change, count(*) from instance_changes group by all order by all").fetchall()
        finally:
            con.close()

    def loads():
        con = connect(db, read_only=True)
        try:
            return con.execute("select snapshot_date::varchar, region, run_id, loaded_at from snapshots order by all").fetchall()
        finally:
            con.close()

    before, loaded_before = history(), loads()
    # the next day: nights count from the warehouse's first snapshot, so 12-02 is served as it was, not rewritten
    capsys.readouterr()
    assert main(["demo", "--size", "400", "--db", str(db), "--data-dir", str(tmp_path / "data"), "--date", "2026-12-03"]) == 0
    assert f"snapshot 2026-12-02 is already in {db}; loading 2026-12-03" in capsys.readouterr().out
    assert [row for row in loads() if row[0] != "2026-12-03"] == loaded_before  # not even loaded again
    after = history()
    assert after[0][:2] == before[0] and [c for c in after[1] if c[0] == "2026-12-02"] == before[1]
    assert [d for d, *_ in after[0]] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert all(created_before for *_, created_before in after[0])  # no instance created after its snapshot date
    assert {c for d, c, _ in after[1] if d == "2026-12-03"} == {"added", "removed"}
    # an earlier day would move the day the nights count from: refused, nothing rewritten
    capsys.readouterr()
    assert main(["demo", "--size", "400", "--db", str(db), "--data-dir", str(tmp_path / "data"), "--date", "2026-12-01"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: the demo warehouse {db} starts on 2026-12-01: a demo for 2026-12-01 would load 2026-11-30, before it")
    assert history() == after


def test_on_a_terminal_the_rewritten_progress_line_fits_its_width(monkeypatch):
    import os as _os

    from pipelines.progress import StderrLine

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("shutil.get_terminal_size", lambda *a, **k: _os.terminal_size((40, 20)))
    out = Terminal()
    line = StderrLine(out)
    long = "extracting: 19 regions, " + ", ".join(f"region-{i} 1p" for i in range(19))
    line(long, False)
    line(long, True)  # the last line is printed whole, once
    rewritten, last = out.getvalue().split("\r\x1b[K")[1:]
    assert len(rewritten) == 39 and rewritten.endswith("…") and long.startswith(rewritten[:-1])
    assert last == long + "\n"


def test_a_locked_warehouse_is_one_line_and_a_hint_in_every_command(monkeypatch, capsys):
    from pipelines import cli
    from pipelines.warehouse import WarehouseLocked

    def locked(args):
        raise WarehouseLocked("data/warehouse.duckdb is held by another process (PID 4242) after waiting 30 s")

    monkeypatch.setattr(cli, "cmd_replay", locked)
    assert main(["replay", "some-run"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: WarehouseLocked: data/warehouse.duckdb is held by another process (PID 4242) after waiting 30 s",
        "hint: close the process named above (or let its run finish), then try again; readers can use the .reader.duckdb copy",
    ]


@pytest.mark.parametrize("failing", [False, True])
def test_a_closed_stderr_neither_fails_a_good_run_nor_hides_a_failed_one(endpoint, tmp_path, failing):
    """`run ... 2>&1 | head -1`: the progress and report lines have no reader; the exit code still tells."""
    import subprocess
    import sys as _sys

    config = EndpointConfig(fleet_size=60, regions=FLEET.regions, page_size=FLEET.page_size,
                            failing_regions=FLEET.regions if failing else ())
    db = tmp_path / "w.duckdb"
    with FakeLightsail(config) as server:
        run = subprocess.Popen(
            [_sys.executable, "-m", "pipelines.cli", "run", "--endpoint-url", server.url, "--regions", ",".join(FLEET.regions),
             "--db", str(db), "--data-dir", str(tmp_path / "data")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
        )
        run.stderr.close()  # nobody will read it
        code = run.wait(timeout=120)
    assert code == (1 if failing else 0)
    con = connect(db, read_only=True)
    try:
        loaded = con.execute("select count(*) from current_instances").fetchone()[0]
    finally:
        con.close()
    assert loaded == (0 if failing else 60)


def test_an_interrupted_run_ends_the_progress_line_before_its_error(monkeypatch):
    from pipelines.progress import StderrLine

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out, now = Terminal(), [0.0]
    progress = Progress(StderrLine(out), interval_s=1.0, clock=lambda: now[0], tick=False)
    now[0] = 2.0
    progress("default", "us-east-1", RegionStats(pages=2))
    progress.close()  # an error or interrupt follows: it must start on a line of its own
    assert out.getvalue() == "\r\x1b[Kextracting: 1 region, 2 pages read, 0 instances staged (us-east-1 2p)\n"
    progress.close()
    assert out.getvalue().count("\n") == 1


def test_progress_that_cannot_be_written_stops_quietly():
    def broken(text, final):
        raise BrokenPipeError(32, "Broken pipe")

    now = [0.0]
    progress = Progress(broken, interval_s=1.0, clock=lambda: now[0], tick=False)
    now[0] = 2.0
    progress("default", "us-east-1", RegionStats(pages=2))  # the write fails: progress stops, the caller goes on
    progress.finish()
    assert progress.emit is None


def test_each_run_loads_its_own_extraction_when_another_run_of_the_date_finishes_in_between(endpoint, tmp_path, monkeypatch, capsys):
    """Two runs of one date and data folder at once: the date's LATEST pointer names whichever extraction
    finished last, so a load that read it could take the other run's regions and lose its own."""
    import pipelines.assets
    from pipelines.accounts import Account
    from pipelines.extract import ClientSettings
    from pipelines.landing import latest_run
    from pipelines.snapshot import RunPlan, extract_run

    def extract_then_another_run_finishes(plan, root, **kwargs):
        mine = extract_run(plan, root, **kwargs)
        other = RunPlan(snapshot_date=plan.snapshot_date, regions=["eu-west-2"], accounts=[Account()],
                        client=ClientSettings(endpoint_url=endpoint.url))
        extract_run(other, root, run_id="the-other-run")  # becomes the date's latest
        return mine

    monkeypatch.setattr(pipelines.assets, "extract_run", extract_then_another_run_finishes)
    assert _run(endpoint, tmp_path, "--quiet", "--regions", "us-east-1") == 0
    assert latest_run(tmp_path / "data", SNAPSHOT).run_id == "the-other-run"
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        loaded = con.execute("select region, count(*) from instances group by all").fetchall()
        runs = con.execute("select distinct run_id, region from extraction_runs").fetchall()
    finally:
        con.close()
    assert loaded == [("us-east-1", region_sizes(FLEET.fleet_size, list(FLEET.regions), FLEET.seed)["us-east-1"])]
    assert len(runs) == 1 and runs[0][0] != "the-other-run" and runs[0][1] == "us-east-1"


def test_extraction_warnings_are_printed_as_warning_lines_not_as_checks(endpoint, tmp_path, capsys):
    assert _run(endpoint, tmp_path, "--quiet", "--regions", "us-east-1,us-west-1") == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("check:")] == []
    assert [line for line in err if "us-west-1" in line] == [
        next(line for line in err if line.startswith("warning: default/us-west-1 skipped: "))
    ]


def test_an_interrupted_load_says_the_warehouse_is_unchanged_and_how_to_load_the_extraction(endpoint, tmp_path, monkeypatch, capsys):
    import pipelines.load

    def interrupted(*_):
        raise RuntimeError("Query interrupted")  # what DuckDB raises when Ctrl-C reaches a statement

    with monkeypatch.context() as patch:
        patch.setattr(pipelines.load, "_insert_parquet", interrupted)
        assert _run(endpoint, tmp_path, "--quiet") == 130
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("error: interrupted during the load: the warehouse was not changed (the transaction rolled back); "
                      "the extraction is complete")
    prefix = "hint: load it without asking AWS again: lightsail-warehouse replay "
    assert err[1].startswith(prefix)
    replay = err[1][len(prefix):].split()
    assert replay[1:] == ["--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data")]
    assert main(["replay", *replay]) == 0  # the hint's command works
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        assert con.execute("select count(*) from current_instances").fetchone()[0] == FLEET.fleet_size
    finally:
        con.close()


def test_the_debug_hint_is_not_offered_to_a_run_that_already_has_debug(tmp_path):
    import argparse

    from pipelines.cli import _run_failure_hint

    args = argparse.Namespace(db=str(tmp_path / "w.duckdb"), data_dir=str(tmp_path / "data"), debug=True)
    assert _run_failure_hint(args, None, "ValueError: boom", False) == f"nothing was loaded ({args.db} does not exist yet)"
    args.debug = False
    assert _run_failure_hint(args, None, "ValueError: boom", False).endswith("; --debug shows Dagster's log")


def test_an_account_id_contradicted_in_one_region_fails_its_empty_regions_too(tmp_path, capsys):
    """An empty region has no ARN to check a given id against: were it loaded, an account that does not
    exist would get a current (empty) snapshot there."""
    config = EndpointConfig(regions=("us-east-1", "eu-west-2"), region_sizes=(40, 0), page_size=50)
    with FakeLightsail(config) as server:
        assert main([
            "run", "--endpoint-url", server.url, "--regions", "us-east-1,eu-west-2", "--date", SNAPSHOT.isoformat(),
            "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data"), "--quiet",
            "--account-id", "999999999999",
        ]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: every region failed; first error: AccountMismatch: ")
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        snapshots = con.execute("select count(*) from snapshots").fetchone()[0]
        runs = con.execute("select region, status, error from extraction_runs order by region").fetchall()
    finally:
        con.close()
    assert snapshots == 0
    assert [(region, status) for region, status, _ in runs] == [("eu-west-2", "failed"), ("us-east-1", "failed")]
    assert runs[0][2] == ("AccountMismatch: not loaded: account id 999999999999 of account 'default' is contradicted "
                          "by the instances served in us-east-1")


def test_a_busy_port_for_the_local_endpoint_is_one_line_with_a_hint(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["fake-endpoint", "--port", str(port)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: port {port} is already in use", "hint: choose another --port, or --port 0 for a free one",
    ]


def test_an_interrupt_after_the_commit_says_the_snapshot_is_loaded(endpoint, tmp_path, monkeypatch, capsys):
    import duckdb

    import pipelines.assets
    from tests.test_load import _CommitFails

    load_run = pipelines.assets.load_run

    def interrupted_at_commit(con, *args, **kwargs):
        return load_run(_CommitFails(con, duckdb.InterruptException("Query interrupted"), committed=True), *args, **kwargs)

    monkeypatch.setattr(pipelines.assets, "load_run", interrupted_at_commit)
    assert _run(endpoint, tmp_path, "--quiet") == 130
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: interrupted after the load committed: snapshot {SNAPSHOT} is in the warehouse "
                   "(its checks may not have been reported; its reader copy was not refreshed)"]
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        assert con.execute("select count(*) from current_instances").fetchone()[0] + \
            con.execute("select count(*) from current_quarantine").fetchone()[0] == FLEET.fleet_size
    finally:
        con.close()


def test_a_reader_copy_that_cannot_be_written_is_a_warning_of_a_run_that_loaded(endpoint, tmp_path, capsys):
    from pipelines.warehouse import reader_path

    blocked = reader_path(tmp_path / "w.duckdb").with_name("w.reader.duckdb.tmp")
    blocked.mkdir(parents=True)
    (blocked / "x").write_text("")
    assert _run(endpoint, tmp_path, "--quiet") == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "reader copy" in line] == [
        f"warning: the reader copy {reader_path(tmp_path / 'w.duckdb')} was not refreshed (e.g. no room for a second copy "
        "of the warehouse): readers of it see the previous load until the next one; --debug shows why",
    ]
    assert not any(line.startswith("error") for line in err)


def test_empty_paths_and_region_lists_from_the_environment_are_refused(endpoint, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_DB", "")
    with pytest.raises(SystemExit) as refused:
        main(["status"])
    assert refused.value.code == 2 and "argument --db: an empty path" in capsys.readouterr().err
    monkeypatch.delenv("LIGHTSAIL_WAREHOUSE_DB")
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_REGIONS", " , ")
    assert main(["run", "--endpoint-url", endpoint.url, "--db", str(tmp_path / "w.duckdb"),
                 "--data-dir", str(tmp_path / "data"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "LIGHTSAIL_WAREHOUSE_REGIONS=' , ' names no region" in err
    assert not (tmp_path / "data" / "runs").exists()


def test_no_credentials_at_all_are_refused_before_anything_runs_or_is_recorded(endpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert _run(endpoint, tmp_path, "--quiet") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: no AWS credentials found (environment, ~/.aws files, SSO, container or instance role)",
                   "hint: configure credentials; a local or compatible endpoint accepts any: "
                   "export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x"]
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "data").exists()


def test_the_summarys_query_line_runs_as_printed(db, capsys):
    import subprocess

    from pipelines.resources import WarehouseResource
    from pipelines.runner import summary

    line = next(x for x in summary(WarehouseResource(path=db)).splitlines() if x.startswith("Query it:"))
    command = line.removeprefix("Query it:").strip()
    assert "'\"'\"'" not in command  # one plain quote, easy to copy
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "snapshot_date" in done.stdout and "10 rows" in done.stdout


def test_a_warehouse_file_that_is_not_duckdb_fails_the_load_with_a_replay_hint(endpoint, tmp_path, capsys):
    (tmp_path / "w.duckdb").write_bytes(b"this is not a database" * 100)
    assert _run(endpoint, tmp_path, "--quiet") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: ") and "w.duckdb" in err[0]
    assert "the warehouse was not changed; the extraction is complete: once that is fixed, load it with " \
           "`lightsail-warehouse replay " in err[1]


def test_an_interrupted_replay_exits_130_saying_whether_it_committed(endpoint, tmp_path, monkeypatch, capsys):
    import pipelines.load

    assert _run(endpoint, tmp_path, "--quiet") == 0
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        (run_id,) = con.execute("select any_value(run_id) from snapshots").fetchone()
    finally:
        con.close()
    capsys.readouterr()

    def interrupted(*_):
        raise RuntimeError("Query interrupted")  # what DuckDB 2 raises when Ctrl-C lands inside a statement

    replay = ["replay", run_id, "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "data")]
    with monkeypatch.context() as patch:
        patch.setattr(pipelines.load, "_insert_parquet", interrupted)
        assert main(replay) == 130
    assert capsys.readouterr().err.splitlines() == [
        "error: interrupted: the replay stopped before its commit: the warehouse was not changed",
        "hint: run the replay again: it replaces the same snapshot",
    ]
    publish = pipelines.load.publish_reader_copy

    def interrupted_after_commit(con):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(pipelines.load, "publish_reader_copy", interrupted_after_commit)
        assert main(replay) == 130
    assert capsys.readouterr().err.splitlines()[0] == "error: interrupted: the replay had committed: the snapshot is loaded"
    assert publish is pipelines.load.publish_reader_copy
