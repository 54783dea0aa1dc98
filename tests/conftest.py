"""Shared fixtures: a real local Lightsail endpoint, AWS settings isolated from the host, warehouse paths."""

import datetime as dt
import socket

import pytest

from pipelines.fake_endpoint import EndpointConfig, FakeLightsail, generate_fleet
from pipelines.resources import LightsailResource, WarehouseResource

FLEET = EndpointConfig(fleet_size=730, regions=("us-east-1", "eu-west-2", "ap-southeast-2"), page_size=50, seed=11)
SNAPSHOT = dt.date(2026, 12, 1)


def closed_port_url():
    """An endpoint URL nothing listens on: connections to it are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch, tmp_path):
    """No test reads the developer's AWS config or reaches real AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LIGHTSAIL",
                 "AWS_ENDPOINT_URL_STS", "AWS_SESSION_TOKEN", "LIGHTSAIL_WAREHOUSE_REGIONS", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def endpoint():
    """The demo-like fleet: 3 regions, several pages each, last pages short."""
    with FakeLightsail(FLEET) as server:
        yield server


@pytest.fixture(scope="session")
def fleet():
    return generate_fleet(FLEET.fleet_size, list(FLEET.regions), FLEET.seed, FLEET.account_id)


@pytest.fixture
def lightsail(endpoint):
    return LightsailResource(regions=list(FLEET.regions), endpoint_url=endpoint.url, max_attempts=3)


@pytest.fixture
def warehouse(tmp_path):
    return WarehouseResource(path=str(tmp_path / "warehouse.duckdb"), data_dir=str(tmp_path / "data"), lock_timeout_s=5)
