"""Extract: every page of GetInstances for one (account, region), through boto3's paginator.

Signing, retries, throttling back-off and pagination stay boto3's. What changes is who parses the
instance payload: a `before-parse` hook keeps the raw response body (the landing zone stores it as
received, unknown fields included) and hands botocore only the page token, read without decoding the
page. The records are decoded once, by orjson, where they are staged (pipelines.staging), instead of by
botocore's Python shape walker, which is ten times slower and drops fields it does not know.

One thing is added to botocore's retries: when it gives up on a page with a transient error (its attempts
are spent, or its retry quota, a per-client token bucket that a long throttling storm drains), the
listing resumes from that page's token after a back-off, so a storm slows a region down but does not fail it.
A region that has never answered at all (connection refused, unknown host) is not resumed: botocore already
retried the connection, and asking again would only wait for the same refusal.
"""

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import boto3
import orjson
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from botocore.paginate import TokenEncoder

from pipelines.page import MalformedPage, decode_page, page_token  # noqa: F401  (re-exported)
from pipelines.timing import timed

SERVICE = "lightsail"
_RAW = "RawBody"


class PageTokenRejected(Exception):
    """The service refused a page token mid-listing (expired or invalid): the listing cannot be resumed."""


class Stopped(Exception):
    """The run is stopping (Ctrl-C, a terminated Dagster run): no more requests, retries or back-offs."""


@dataclass(frozen=True)
class ClientSettings:
    """How to reach Lightsail: credentials profile, endpoint override and retry policy."""

    profile: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 10
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    page_retries: int = 8  # resumes of one page after botocore gave up on a transient error
    page_backoff_s: float = 1.0  # base of the full-jitter back-off between those resumes (capped at 20 s)


@dataclass
class Page:
    number: int
    body: bytes  # exactly as received
    attempts: int  # HTTP requests this page took, retries included

    @cached_property
    def records(self):
        """The decoded `instances` list (decoded on first use: staging decodes bodies where it runs)."""
        return decode_page(self.body)[1]


@dataclass
class RegionStats:
    pages: int = 0
    instances: int = 0  # records staged so far (pages are decoded where they are staged)
    attempts: int = 0  # HTTP requests sent, retries included
    answers: int = 0  # HTTP responses received, errors included (0: the endpoint was never reached)
    resumes: int = 0  # pages asked for again after botocore gave up on them
    quota_exhausted: int = 0  # of which botocore stopped because its retry quota was spent
    restarts: int = 0  # listings started over because a page token was refused
    errors: int = 0  # requests that got an error answer or none (each one botocore or a resume retried, or the end)
    last_error: str | None = None  # the latest of those: an error code, an HTTP status or an exception's name
    outcome: str | None = None  # once the region is over: "done" or "failed"
    started: float = field(default_factory=time.time)

    def restart(self):
        """Forget the pages of an abandoned listing; requests already made still count."""
        self.pages = self.instances = 0
        self.restarts += 1


def make_client(settings, region, session=None):
    """A Lightsail client for one region; boto3 also honours AWS_ENDPOINT_URL_LIGHTSAIL."""
    session = session or boto3.Session(profile_name=settings.profile)
    config = Config(
        # `total_max_attempts` counts the first request too; botocore's `max_attempts` key would mean retries.
        retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
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
    with timed("token"):
        token = page_token(body)
    response_dict["body"] = orjson.dumps({"nextPageToken": token} if token is not None else {})
    customized_response_dict[_RAW] = body


def iter_pages(client, include_health_status=True, stats=None, settings=None, stop=None):
    """Yield every page of GetInstances for the client's region, in order, each exactly once.

    Pages are yielded as they arrive and not kept, so memory does not grow with the region's size. Once `stop`
    (a threading.Event) is set, the next request, retry or back-off raises Stopped instead: an interrupted run
    does not wait out botocore's retries against an endpoint that does not answer.
    """
    stats = stats if stats is not None else RegionStats()
    settings = settings or ClientSettings()
    token, number, failures = None, 0, 0
    with _counting_requests(client, stats), _stopping(client, stop):
        while True:
            try:
                before = stats.attempts
                for page in _paginate(client, include_health_status, token):
                    stats.pages += 1
                    yield Page(number=number, body=page[_RAW], attempts=stats.attempts - before)
                    token, number, failures, before = page.get("nextPageToken"), number + 1, 0, stats.attempts
                return
            except Stopped:
                raise
            except Exception as error:
                failures += 1
                _raise_unless_worth_resuming(error, token, number, failures, settings, stats)
                stats.resumes += 1
                stats.quota_exhausted += bool(_response_metadata(error).get("RetryQuotaReached"))
                delay = random.random() * min(20.0, settings.page_backoff_s * 2 ** (failures - 1))
                if stop is not None and stop.wait(delay):
                    raise Stopped(f"stopped while waiting to ask for page {number} again") from error
                if stop is None:
                    time.sleep(delay)


def _raise_unless_worth_resuming(error, token, number, failures, settings, stats):
    """A refused token cannot be resumed from; a permanent error, one page failing too often, or an endpoint
    that was never reached, ends the region."""
    if token is not None and _error_code(error) == "InvalidInputException":
        raise PageTokenRejected(f"page {number}: {error}") from error
    if not transient(error) or failures > settings.page_retries:
        raise error
    if stats.answers == 0 and unreachable(error):
        raise error


def _paginate(client, include_health_status, token):
    """boto3's paginator, from the start or from `token` (the page after the last one received)."""
    config = {"StartingToken": TokenEncoder().encode({"pageToken": token})} if token else {}
    return client.get_paginator("get_instances").paginate(
        includeHealthStatus=include_health_status, PaginationConfig=config
    )


@contextmanager
def _stopping(client, stop):
    """Before each request and before each of botocore's retries (ahead of its back-off): raise Stopped once `stop` is set."""
    if stop is None:
        yield
        return

    def check(**_):
        if stop.is_set():
            raise Stopped("the run is stopping")

    events = [f"before-send.{SERVICE}.GetInstances", f"needs-retry.{SERVICE}.GetInstances"]
    for event in events:
        client.meta.events.register_first(event, check)
    try:
        yield
    finally:
        for event in events:
            client.meta.events.unregister(event, check)


@contextmanager
def _counting_requests(client, stats):
    """Count every HTTP request the client sends (retries and failures too) into `stats.attempts`, every
    response it gets (error answers too) into `stats.answers`, and the requests that failed into `stats.errors`."""

    def count(**_):
        stats.attempts += 1

    def answered(response_dict=None, parsed_response=None, exception=None, **_):
        stats.answers += response_dict is not None
        if exception is not None:
            stats.errors += 1
            stats.last_error = type(exception).__name__
        elif response_dict is not None and response_dict["status_code"] >= 300:
            stats.errors += 1
            code = ((parsed_response or {}).get("Error") or {}).get("Code")
            stats.last_error = code or f"HTTP {response_dict['status_code']}"

    events = [(f"before-send.{SERVICE}.GetInstances", count), (f"response-received.{SERVICE}.GetInstances", answered)]
    for event, handler in events:
        client.meta.events.register(event, handler)
    try:
        yield
    finally:
        for event, handler in events:
            client.meta.events.unregister(event, handler)


THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown", "LimitExceededException",
})


def transient(error):
    """Throttles, 5xx answers and broken connections: worth asking again; anything else is not."""
    if isinstance(error, ClientError):
        status = _response_metadata(error).get("HTTPStatusCode") or 0
        return _error_code(error) in THROTTLING_CODES or status >= 500
    return isinstance(error, (HTTPClientError, ConnectionError))


def unreachable(error):
    """The connection itself could not be made (refused, unknown host, connect timeout): no answer at all.

    botocore's ConnectionError; a connection closed or timed out after it was made is an HTTPClientError.
    """
    return isinstance(error, ConnectionError)


def _error_code(error):
    return error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None


def _response_metadata(error):
    return error.response.get("ResponseMetadata", {}) if isinstance(error, ClientError) else {}


def account_from_arn(arn):
    """The account id inside an ARN (arn:aws:lightsail:region:ACCOUNT:...), or None."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 5 and parts[4] else None
