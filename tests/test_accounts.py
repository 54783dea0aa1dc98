"""Accounts: profiles and assumed roles against the endpoint's STS, refreshing credentials, account id on every row."""

import dataclasses
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError

from pipelines.accounts import Account, account_of_role
from pipelines.extract import ClientSettings
from pipelines.fake_endpoint import FakeLightsail
from pipelines.load import load_run
from pipelines.resources import AccountConfig, LightsailResource
from pipelines.snapshot import RunPlan, extract_run
from pipelines.warehouse import connect
from tests.conftest import SNAPSHOT
from tests.estate_helpers import AUDIT, ESTATE, MAIN, ROLE

MAIN_ACCOUNT, AUDIT_ACCOUNT = Account(name="main"), Account(name="audit", role_arn=ROLE)


@pytest.fixture
def serve(monkeypatch):
    """Start an endpoint for one test with STS redirected to it."""
    started = []

    def start(**changes):
        fake = FakeLightsail(dataclasses.replace(ESTATE, **changes))
        started.append(fake)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.start())
        return fake

    yield start
    for fake in started:
        fake.stop()


def extract(fake, tmp_path, accounts, regions=ESTATE.regions):
    plan = RunPlan(SNAPSHOT, list(regions), list(accounts), ClientSettings(endpoint_url=fake.url))
    return extract_run(plan, tmp_path)


def by_pair(manifest):
    return {(r["account"], r["region"]): r for r in manifest["regions"]}


def test_a_role_is_assumed_from_the_base_credentials_and_its_rows_carry_the_assumed_account(serve, tmp_path):
    fake = serve()
    folder, manifest = extract(fake, tmp_path, [MAIN_ACCOUNT, AUDIT_ACCOUNT])
    assert {(r["account"], r["account_id"], r["status"]) for r in manifest["regions"]} == {("main", MAIN, "ok"), ("audit", AUDIT, "ok")}
    signed = Counter((r.account, r.access_key in fake.sts.issued) for r in fake.request_log if r.operation == "GetInstances")
    assert set(signed) == {(MAIN, False), (AUDIT, True)}  # the role's pages were read with its session keys only
    con = connect(tmp_path / "w.duckdb")
    load_run(con, folder, manifest, publish=False)
    counts = dict(con.execute("select account_id, count(*) from instances group by all").fetchall())
    assert counts == {account: sum(sizes.values()) for account, sizes in fake.account_sizes.items()}
    assert con.execute("select count(*) from instances where split_part(arn, ':', 5) <> account_id").fetchone() == (0,)
    con.close()


def test_assumed_credentials_are_shared_by_the_accounts_regions_and_refresh_before_they_expire(serve, tmp_path):
    lasting = serve(sts_credential_ttl_s=3600)
    extract(lasting, tmp_path / "a", [AUDIT_ACCOUNT])
    assert Counter(r.operation for r in lasting.request_log)["AssumeRole"] == 1  # three region threads, one session

    # Five minutes left is inside botocore's mandatory refresh window: every request must refresh first.
    short = serve(sts_credential_ttl_s=300)
    _, manifest = extract(short, tmp_path / "b", [AUDIT_ACCOUNT])
    assert all(r["status"] == "ok" for r in manifest["regions"])
    pages = [r for r in short.request_log if r.operation == "GetInstances"]
    assert Counter(r.operation for r in short.request_log)["AssumeRole"] >= len(pages) > 6
    assert len({r.access_key for r in pages}) > len(ESTATE.regions)  # fresh keys as the run went on
    assert {r.status for r in pages} == {200}


def test_the_endpoint_refuses_expired_session_credentials(serve):
    fake = serve(sts_credential_ttl_s=-1)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=fake.url)
    creds = sts.assume_role(RoleArn=ROLE, RoleSessionName="test")["Credentials"]
    lightsail = boto3.client("lightsail", region_name="eu-west-2", endpoint_url=fake.url,
                             aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"])
    with pytest.raises(ClientError, match="ExpiredTokenException"):
        lightsail.get_instances()


def test_external_id_is_sent_and_a_refused_role_fails_only_its_own_regions(serve, tmp_path):
    fake = serve(sts_external_id="ext-42")
    with_id = Account(name="audit", role_arn=ROLE, external_id="ext-42")
    without = Account(name="audit-no-id", role_arn=ROLE)
    _, manifest = extract(fake, tmp_path, [MAIN_ACCOUNT, with_id, without])
    status = {pair: r["status"] for pair, r in by_pair(manifest).items()}
    assert status == {(a, region): "failed" if a == "audit-no-id" else "ok"
                      for a in ("main", "audit", "audit-no-id") for region in ESTATE.regions}
    refused = by_pair(manifest)[("audit-no-id", "eu-west-2")]
    assert "AccessDenied" in refused["error"] and refused["account_id"] == AUDIT  # known from the role ARN


def test_account_id_comes_from_sts_when_it_is_reachable_else_from_the_arns(serve, tmp_path, monkeypatch):
    fake = serve()
    _, manifest = extract(fake, tmp_path / "sts", [MAIN_ACCOUNT, AUDIT_ACCOUNT], ["eu-west-2"])
    assert {r["account_id"] for r in manifest["regions"]} == {MAIN, AUDIT}
    # One GetCallerIdentity, for the profile account; the role's account is read off its ARN.
    assert Counter(r.operation for r in fake.request_log)["GetCallerIdentity"] == 1

    monkeypatch.delenv("AWS_ENDPOINT_URL_STS")
    before = len(fake.request_log)
    _, manifest = extract(fake, tmp_path / "arns", [MAIN_ACCOUNT], ["eu-west-2"])
    assert manifest["regions"][0]["account_id"] == MAIN
    assert {r.operation for r in fake.request_log[before:]} == {"GetInstances"}


def test_a_named_profile_signs_its_requests_and_a_missing_profile_fails_only_its_regions(serve, tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    credentials.write_text("[ops]\naws_access_key_id = AKIAOPSPROFILE000001\naws_secret_access_key = ops-secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    fake = serve()
    _, manifest = extract(fake, tmp_path / "run", [Account(name="ops", profile="ops"), Account(name="gone", profile="gone")],
                          ["eu-west-2"])
    ops, gone = manifest["regions"]
    assert (ops["status"], ops["account_id"], gone["status"]) == ("ok", MAIN, "failed")
    assert "ProfileNotFound" in gone["error"]
    assert {r.access_key for r in fake.request_log if r.operation == "GetInstances"} == {"AKIAOPSPROFILE000001"}


def test_accounts_are_configured_on_the_resource_and_planning_calls_no_aws(serve):
    fake = serve()
    resource = LightsailResource(
        regions=["eu-west-2"], endpoint_url=fake.url,
        accounts=[AccountConfig(name="main"), AccountConfig(name="audit", role_arn=ROLE, external_id="x")],
    )
    plan = resource.plan(SNAPSHOT)
    assert plan.accounts == [MAIN_ACCOUNT, Account(name="audit", role_arn=ROLE, external_id="x")]
    assert fake.request_log == []  # role sessions are deferred: AssumeRole happens on the first request


def test_account_of_role():
    assert account_of_role(ROLE) == AUDIT
    assert account_of_role("not-an-arn") is None and account_of_role(None) is None
    assert Account(role_arn=ROLE, account_id=AUDIT).known_account_id() == AUDIT
    with pytest.raises(ValueError, match=f"account 'audit': account_id 999999999999 contradicts its role_arn, which is in "
                                         f"account {AUDIT}: give the role's account id, or none"):
        Account(name="audit", role_arn=ROLE, account_id="999999999999")


def test_a_given_account_id_is_checked_with_sts_and_a_wrong_one_fails_its_regions_even_empty_ones(serve, tmp_path):
    fake = serve()
    wrong = Account(name="main", account_id="111111111111")
    _, manifest = extract(fake, tmp_path / "wrong", [wrong], ["eu-west-2", "ca-central-1"])  # ca-central-1: no instances
    assert {r["region"]: (r["status"], r["account_id"]) for r in manifest["regions"]} == {
        "eu-west-2": ("failed", "111111111111"), "ca-central-1": ("failed", "111111111111")}
    assert all(f"account id 111111111111 was given, but its credentials belong to {MAIN}" in r["error"]
               for r in manifest["regions"])
    right = Account(name="main", account_id=MAIN)
    _, manifest = extract(fake, tmp_path / "right", [right], ["eu-west-2", "ca-central-1"])
    assert {r["region"]: (r["status"], r["account_id"]) for r in manifest["regions"]} == {
        "eu-west-2": ("ok", MAIN), "ca-central-1": ("ok", MAIN)}
