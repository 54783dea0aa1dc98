"""Dagster resources: thin typed settings around the pure extract and warehouse code. No AWS call here."""

import datetime as dt
import os

import dagster as dg
from pydantic import Field

from pipelines.accounts import ACCOUNT_NAME, Account
from pipelines.extract import ClientSettings
from pipelines.landing import MAX_KEEP_DAYS, check_keep_days
from pipelines.regions import RegionError, select_regions
from pipelines.snapshot import RunPlan
from pipelines.warehouse import connect, earlier_account_ids


class AccountConfig(dg.Config):
    """One account to read: a named profile, or a role assumed from the base credentials."""

    name: str = Field(
        pattern=ACCOUNT_NAME, description="Label of the account's folders and logs: letters, digits, '.', '_' or '-'."
    )
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    account_id: str | None = None


class LightsailResource(dg.ConfigurableResource):
    """Where and how to read Lightsail. Credentials come from the standard AWS chain."""

    regions: list[str] = Field(default=[], description="Regions to read; empty = LIGHTSAIL_WAREHOUSE_REGIONS, else every region GetRegions lists.")
    profile: str | None = Field(default=None, description="AWS profile for the base credentials.")
    endpoint_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/]+(/\S*)?$", description="Endpoint override (http:// or https://); AWS_ENDPOINT_URL_LIGHTSAIL also works."
    )
    account_id: str | None = Field(default=None, description="Account id of the default account (else STS, else the ARNs served).")
    accounts: list[AccountConfig] = Field(default=[], description="Accounts to read; empty = the default credentials only.")
    retry_mode: str = Field(
        default="standard", pattern="^(standard|adaptive|legacy)$", description="botocore retry mode: standard, adaptive or legacy."
    )
    max_attempts: int = Field(default=10, ge=1, le=100, description="botocore max attempts per request, retries included.")
    page_retries: int = Field(default=8, ge=0, description="Times a page is asked for again (from its token) after botocore gave up on a throttle, 5xx or dropped connection (not when the endpoint never answered at all).")
    page_backoff_s: float = Field(default=1.0, ge=0, description="Base seconds of the jittered exponential back-off between those page retries.")
    include_health_status: bool = Field(default=True, description="Ask GetInstances for instanceStatus/systemStatus.")
    max_workers: int = Field(default=8, ge=1, description="(account, region) pairs read in parallel.")

    def client_settings(self):
        return ClientSettings(
            profile=self.profile, endpoint_url=self.endpoint_url, retry_mode=self.retry_mode,
            max_attempts=self.max_attempts, page_retries=self.page_retries, page_backoff_s=self.page_backoff_s,
        )

    def account_list(self):
        if not self.accounts:
            return [Account(account_id=self.account_id)]
        names = [a.name.lower() for a in self.accounts]  # Prod and prod share a folder where case does not count
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:  # each account's pages land in a folder of its name: two would overwrite each other
            raise ValueError(f"lightsail.accounts: each account needs its own name; given more than once: {', '.join(twice)}")
        return [Account(**a.model_dump()) for a in self.accounts]

    def region_selection(self):
        """The configured regions (validated, those without Lightsail skipped), or the discovered ones.

        Called at run time only: discovery is an AWS call.
        """
        configured = [r for r in self.regions if r.strip()]
        if self.regions and not configured:  # [''] would silently mean every region
            raise RegionError("lightsail.regions names no region: give region names or leave it empty to read every region")
        if not configured:
            text = os.environ.get("LIGHTSAIL_WAREHOUSE_REGIONS", "")
            configured = [r.strip() for r in text.split(",") if r.strip()]
            if text.strip() and not configured:  # ' , ' would silently mean every region
                raise RegionError(f"LIGHTSAIL_WAREHOUSE_REGIONS={text!r} names no region: give a,b or unset it to read every region")
        return select_regions([r.strip() for r in configured if r.strip()], self.client_settings(), self.account_list()[0])

    def region_list(self):
        return self.region_selection().regions

    def plan(self, snapshot_date: dt.date) -> RunPlan:
        selection = self.region_selection()
        return RunPlan(
            snapshot_date=snapshot_date,
            regions=selection.regions,
            accounts=self.account_list(),
            client=self.client_settings(),
            include_health_status=self.include_health_status,
            max_workers=self.max_workers,
            skipped=selection.skipped,
            warnings=selection.warnings,
        )


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file and the folder for raw pages and staging."""

    path: str = Field(default="data/warehouse.duckdb", pattern=r"\S", description="DuckDB file of the warehouse.")
    data_dir: str = Field(default="data", pattern=r"\S", description="Folder for raw landing and staged files.")
    lock_timeout_s: float = Field(default=30.0, ge=0, description="How long to wait for a DuckDB file another process holds.")
    keep_runs_days: int | None = Field(
        default=None, ge=0, le=MAX_KEEP_DAYS,
        description="After each successful load, remove raw pages and staging of snapshot dates older than this "
        "many days (the warehouse keeps their rows; only replay needs them). None keeps everything.",
    )

    def connect(self, read_only=False):
        return connect(self.path, read_only=read_only, lock_timeout_s=self.lock_timeout_s)

    def account_ids(self):
        """{account name: id} the warehouse's earlier snapshots hold; {} if the file cannot be read at once."""
        return earlier_account_ids(self.path)


def keep_runs_days_from_env():
    """`LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS` as a number of days; None (keep everything) when unset."""
    value = os.environ.get("LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS", "").strip()
    return check_keep_days(value, "LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS") if value else None


_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def schedule_running_from_env():
    """`LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING`: whether the schedules start running (default yes)."""
    value = os.environ.get("LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING", "1").strip().lower()
    if value not in _ON | _OFF:
        raise ValueError(f"LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING must be 1/true/yes/on or 0/false/no/off, not {value!r}")
    return value in _ON
