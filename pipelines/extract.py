"""Extract: every page of GetInstances for one (account, region), through boto3's paginator.

Signing, retries, throttling back-off and pagination stay boto3's. What changes is who parses the
instance payload: a `before-parse` hook keeps the raw response body (the landing zone stores it as
received, unknown fields included) and hands botocore only the page token, so the records are decoded
once, by orjson, instead of by botocore's Python shape walker, which also drops fields it does not know.
"""

import time
from dataclasses import dataclass, field

import boto3
import orjson
from botocore.config import Config

from pipelines.gc_pause import gc_paused

SERVICE = "lightsail"
_RAW = "RawBody"
_RECORDS = "RawRecords"


class MalformedPage(Exception):
    """A 200 answer whose body is not a GetInstances page."""


@dataclass(frozen=True)
class ClientSettings:
    """How to reach Lightsail: credentials profile, endpoint override and retry policy."""

    profile: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 10
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0


@dataclass
class Page:
    number: int
    body: bytes  # exactly as received
    records: list  # the decoded `instances` list
    attempts: int  # HTTP requests this page took, retries included


@dataclass
class RegionStats:
    pages: int = 0
    instances: int = 0
    attempts: int = 0
    started: float = field(default_factory=time.time)


def make_client(settings, region, session=None):
    """A Lightsail client for one region; boto3 also honours AWS_ENDPOINT_URL_LIGHTSAIL."""
    session = session or boto3.Session(profile_name=settings.profile)
    config = Config(
        retries={"mode": settings.retry_mode, "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
    )
    client = session.client(SERVICE, region_name=region, endpoint_url=settings.endpoint_url or None, config=config)
    client.meta.events.register(f"before-parse.{SERVICE}.GetInstances", _keep_raw_body)
    return client


def _keep_raw_body(response_dict, customized_response_dict, **_):
    """Keep the body, give botocore a page holding only the token (errors are left to botocore)."""
    if response_dict["status_code"] >= 300:
        return
    body = response_dict["body"]
    try:
        with gc_paused():
            document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPage(f"GetInstances answered 200 with a body that is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("instances", []), list):
        raise MalformedPage("GetInstances answered 200 without an `instances` list")
    token = document.get("nextPageToken")
    response_dict["body"] = orjson.dumps({"nextPageToken": token} if token is not None else {})
    customized_response_dict[_RAW] = body
    customized_response_dict[_RECORDS] = document.get("instances") or []


def iter_pages(client, include_health_status=True, stats=None):
    """Yield every page of GetInstances for the client's region, in order."""
    stats = stats if stats is not None else RegionStats()
    paginator = client.get_paginator("get_instances")
    for number, page in enumerate(paginator.paginate(includeHealthStatus=include_health_status)):
        attempts = 1 + page.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        records = page[_RECORDS]
        stats.pages += 1
        stats.instances += len(records)
        stats.attempts += attempts
        yield Page(number=number, body=page[_RAW], records=records, attempts=attempts)


def account_from_arn(arn):
    """The account id inside an ARN (arn:aws:lightsail:region:ACCOUNT:...), or None."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 5 and parts[4] else None
