"""Regions: configured names validated, regions without Lightsail skipped with a warning, discovery that says when it fails."""

import pytest

from pipelines import cli
from pipelines.accounts import Account
from pipelines.extract import ClientSettings
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.fake_endpoint.regions import lightsail_regions as served_regions
from pipelines.fake_endpoint.regions import region_records
from pipelines.load import load_run
from pipelines.regions import (
    EndpointUnreachable, RegionError, discover_regions, known_regions, lightsail_regions, validate_regions, without_lightsail,
)
from pipelines.resources import LightsailResource
from pipelines.snapshot import extract_run, failed_pairs
from pipelines.warehouse import connect
from tests.conftest import FLEET, SNAPSHOT, closed_port_url


def test_an_availability_zone_given_as_a_region_is_a_configuration_error_that_names_the_region():
    with pytest.raises(RegionError, match=r"'eu-west-2a' is an availability zone, not a region; did you mean 'eu-west-2'\?"):
        validate_regions(["us-east-1", "eu-west-2a"])
    with pytest.raises(RegionError, match="'Ireland' is not an AWS region name"):
        validate_regions(["Ireland"])
    assert validate_regions(["eu-west-2", "us-east-1", "eu-west-2"]) == ["eu-west-2", "us-east-1"]


def test_the_cli_reports_an_availability_zone_in_one_line(tmp_path, capsys):
    code = cli.main(["run", "--regions", "eu-west-2a", "--endpoint-url", "http://127.0.0.1:9", "--quiet",
                     "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "d")])
    assert code == 1
    assert "'eu-west-2a' is an availability zone, not a region; did you mean 'eu-west-2'?" in capsys.readouterr().err


def test_configured_regions_none_of_which_has_lightsail_stop_the_run_instead_of_reading_nothing(tmp_path, capsys):
    code = cli.main(["run", "--regions", "us-west-1", "--endpoint-url", "http://127.0.0.1:9", "--quiet",
                     "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "d")])
    assert code == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: RegionError: Lightsail is not available in us-west-1 (not in botocore's Lightsail endpoint list): "
        "nothing to read; did you mean 'us-west-2'?"
    )
    assert not (tmp_path / "w.duckdb").exists()


def test_a_misspelt_region_is_a_configuration_error_with_a_suggestion():
    with pytest.raises(RegionError, match=r"^'us-est-1' is not an AWS region botocore knows; did you mean 'us-east-1'\?$"):
        validate_regions(["eu-west-2", "us-est-1"])
    with pytest.raises(RegionError, match=r"'eu-wset-2' is not an AWS region botocore knows; did you mean 'eu-west-2'\?"):
        validate_regions(["eu-wset-2"])
    with pytest.raises(RegionError, match=r"'zz-nowhere-1' is not an AWS region botocore knows; check the spelling"):
        validate_regions(["zz-nowhere-1"])
    with pytest.raises(RegionError, match=r"^'US-EAST-1': region names are lower case; did you mean 'us-east-1'\?$"):
        validate_regions(["US-EAST-1"])
    # Real regions pass, Lightsail or not (those without it are skipped later), and so do all the endpoint serves.
    assert validate_regions(["us-west-1", "cn-north-1", "us-gov-west-1"]) == ["us-west-1", "cn-north-1", "us-gov-west-1"]
    assert set(validate_regions(list(served_regions()))) == set(served_regions()) >= set(lightsail_regions())
    assert "us-est-1" not in known_regions() and "us-west-1" in known_regions()


def test_the_cli_reports_a_misspelt_region_in_one_line_before_any_request(tmp_path, capsys):
    code = cli.main(["run", "--regions", "us-east-1,us-est-1", "--endpoint-url", closed_port_url(), "--quiet",
                     "--db", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "d")])
    assert code == 1
    err = capsys.readouterr().err
    assert "error: RegionError: 'us-est-1' is not an AWS region botocore knows; did you mean 'us-east-1'?" in err
    assert "Traceback" not in err and not (tmp_path / "d").exists()  # stopped before extracting anything


def test_only_regions_botocore_knows_for_lightsail_are_read():
    assert "us-west-1" not in lightsail_regions() and "eu-west-2" in lightsail_regions()
    assert list(without_lightsail(["eu-west-2", "us-west-1"])) == ["us-west-1"]


def test_a_region_without_lightsail_is_skipped_with_a_warning_not_failed(endpoint, tmp_path):
    resource = LightsailResource(regions=["eu-west-2", "us-west-1"], endpoint_url=endpoint.url)
    plan = resource.plan(SNAPSHOT)
    assert plan.regions == ["eu-west-2"] and list(plan.skipped) == ["us-west-1"]
    before = len(endpoint.request_log)
    folder, manifest = extract_run(plan, tmp_path)
    assert {r.region for r in endpoint.request_log[before:]} == {"eu-west-2"}  # us-west-1 was never asked
    skipped = next(r for r in manifest["regions"] if r["region"] == "us-west-1")
    assert (skipped["status"], skipped["pages"]) == ("skipped", 0)
    assert "Lightsail is not available in us-west-1" in skipped["error"]
    assert manifest["warnings"] == [f"default/us-west-1 skipped: {skipped['error']}"]
    assert failed_pairs(manifest) == []
    con = connect(tmp_path / "w.duckdb")
    load_run(con, folder, manifest, publish=False)
    runs = con.execute("select region, status, error from extraction_runs order by region").fetchall()
    assert runs == [("eu-west-2", "ok", None), ("us-west-1", "skipped", skipped["error"])]
    assert con.execute("select distinct region from instances").fetchall() == [("eu-west-2",)]
    con.close()


def test_regions_are_discovered_with_getregions_when_none_are_configured(endpoint):
    selection = LightsailResource(endpoint_url=endpoint.url).region_selection()
    assert selection.regions == sorted(r["name"] for r in region_records()) and selection.warnings == []
    assert set(FLEET.regions) <= set(selection.regions)


def test_a_failed_discovery_falls_back_to_botocores_list_and_says_so(tmp_path):
    config = EndpointConfig(fleet_size=10, regions=("eu-west-2",), failing_regions=("us-east-1",))
    with FakeLightsail(config) as denied:
        selection = discover_regions(ClientSettings(endpoint_url=denied.url, max_attempts=1), Account())
        plan = LightsailResource(endpoint_url=denied.url, max_attempts=1).plan(SNAPSHOT)
        plan.regions = ["eu-west-2"]  # keep the run short; the warning travels with the plan into the manifest
        _, manifest = extract_run(plan, tmp_path)
    assert selection.regions == sorted(lightsail_regions())
    (warning,) = selection.warnings
    assert "region discovery (GetRegions in us-east-1) failed: AccessDeniedException" in warning
    assert plan.warnings == selection.warnings
    assert manifest["warnings"] == [warning] and manifest["regions"][0]["status"] == "ok"


def test_lightsail_warehouse_regions_environment_is_read_at_run_time(endpoint, monkeypatch):
    resource = LightsailResource(endpoint_url=endpoint.url)
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_REGIONS", "eu-west-2, us-west-1")
    selection = resource.region_selection()
    assert (selection.regions, list(selection.skipped)) == (["eu-west-2"], ["us-west-1"])


def test_an_unreachable_endpoint_stops_discovery_at_once_instead_of_trying_every_region():
    url = closed_port_url()
    settings = ClientSettings(endpoint_url=url, max_attempts=2)
    with pytest.raises(EndpointUnreachable) as raised:
        discover_regions(settings, Account())
    message = str(raised.value)
    assert message.startswith("cannot reach the Lightsail endpoint to discover regions (GetRegions in us-east-1): "
                              f'EndpointConnectionError: Could not connect to the endpoint URL: "{url}/"')
    assert "\n" not in message and "--regions" in message
    with pytest.raises(EndpointUnreachable):
        LightsailResource(endpoint_url=url, max_attempts=2).plan(SNAPSHOT)


def test_region_names_and_the_local_endpoint_need_no_aws_profile(tmp_path):
    """A missing AWS_PROFILE (set for another tool) must not break commands that need no credentials."""
    import os
    import subprocess
    import sys

    code = (
        "from pipelines.regions import validate_regions\n"
        "from pipelines.fake_endpoint import EndpointConfig, FakeLightsail\n"
        "print(validate_regions(['us-east-1', 'eu-west-2']))\n"
        "with FakeLightsail(EndpointConfig(fleet_size=10, regions=('us-east-1',))) as f: print('served')\n"
    )
    env = {**os.environ, "AWS_PROFILE": "no-such-profile", "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "served"
