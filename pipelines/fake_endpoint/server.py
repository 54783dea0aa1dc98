"""A local HTTP endpoint speaking Lightsail's JSON protocol over a generated fleet, with fault injection."""

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler

import orjson

from pipelines.fake_endpoint import protocol as wire
from pipelines.fake_endpoint.catalog import REFERENCE_TS
from pipelines.fake_endpoint.faults import Fault, FaultPlan
from pipelines.fake_endpoint.fleet import region_sizes
from pipelines.fake_endpoint.pages import BadToken, PageStore, decode_token
from pipelines.fake_endpoint.regions import lightsail_regions, region_records
from pipelines.fake_endpoint.sts import CONTENT_TYPE as STS_CONTENT_TYPE
from pipelines.fake_endpoint.sts import Sts, StsError, action_of
from pipelines.fake_endpoint.transport import Handler, Server, send


@dataclass(frozen=True)
class EndpointConfig:
    """What to serve, where, and which faults to inject; the same config always serves the same bytes."""

    fleet_size: int = 1_000
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-northeast-1")
    region_sizes: tuple[int, ...] = ()  # instances per region, in `regions` order; empty: fleet_size split by seed
    page_size: int = 100
    seed: int = 7
    account_id: str = "123456789012"
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    throttle_rate: float = 0.0  # share of requests answered 400 ThrottlingException
    error_rate: float = 0.0  # share of requests answered 500 ServiceException
    latency_s: float = 0.0  # sleep before answering each request
    drop_connection_after_pages: int | None = None  # the Nth GetInstances of each region gets no answer, once
    expire_token_after_pages: int | None = None  # the Nth GetInstances of each region: its pageToken "expired", once
    failing_regions: tuple[str, ...] = ()  # always 400 AccessDeniedException
    fault_seed: int = 0
    cache_mb: int = 1024  # serialised pages kept; beyond it pages are rebuilt per request
    day: int = 0  # nights of change applied to the fleet (pipelines.fake_endpoint.nights): 0 serves it as generated
    day_zero: dt.date | None = None  # the date of day 0 (instances added later are created the day before theirs)
    # More accounts, reached through STS AssumeRole into arn:aws:iam::<id>:role/<any name>; the n-th (0-based)
    # serves a fleet of the same size and regions generated with seed + 1 + n.
    other_accounts: tuple[str, ...] = ()
    sts_credential_ttl_s: float = 3600.0  # lifetime of AssumeRole credentials
    sts_external_id: str | None = None  # when set, AssumeRole requires this ExternalId


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it: tests use these to prove retries and parallel pulls."""

    region: str | None
    operation: str | None
    started: float  # time.perf_counter()
    ended: float
    status: int | None  # None: the connection was dropped without an answer
    account: str | None = None  # whose credentials signed it (None: unsigned or refused)
    access_key: str | None = None


class _Dropped(Exception):
    """Close the connection without answering."""


class FakeLightsail:
    """Serve the fleet on `start()`; `request_log` and `request_counts` record every request."""

    def __init__(self, config: EndpointConfig = EndpointConfig()):
        self.config = config
        seeds = {config.account_id: config.seed} | {a: config.seed + 1 + n for n, a in enumerate(config.other_accounts)}
        self.account_sizes = {a: _sizes(config, s) for a, s in seeds.items()}
        day_zero_ts = (dt.datetime.combine(config.day_zero, dt.time(), dt.timezone.utc).timestamp()
                       if config.day_zero else REFERENCE_TS)
        self.stores = {a: PageStore(self.account_sizes[a], config.page_size, s, a, config.cache_mb << 20, config.day,
                                    day_zero_ts) for a, s in seeds.items()}
        self.sizes, self.pages = self.account_sizes[config.account_id], self.stores[config.account_id]
        self.sts = Sts(config.account_id, frozenset(config.other_accounts), config.sts_credential_ttl_s,
                       config.sts_external_id)
        self.faults = FaultPlan(config.throttle_rate, config.error_rate, config.drop_connection_after_pages,
                                tuple(config.failing_regions), config.fault_seed, config.expire_token_after_pages,
                                config.account_id)
        self.request_log: list[RequestRecord] = []
        self.request_counts: Counter[tuple[str | None, str | None]] = Counter()  # (region, operation), all accounts
        self._nth: Counter[tuple[str, str | None, str | None]] = Counter()  # (account, region, operation)
        self.url: str | None = None
        self._known_regions = set(lightsail_regions()) | set(config.regions)
        self._lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Listen in a background thread; returns the base URL, e.g. http://127.0.0.1:54321."""
        self._server = Server((self.config.host, self.config.port), Handler)
        self._server.app = self
        # A short poll interval keeps stop() fast (shutdown waits for the next poll).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> "FakeLightsail":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def warm(self, include_health: bool = True) -> None:
        """Serialise all pages now, so a benchmark measures serving rather than generating."""
        for store in self.stores.values():
            store.warm(include_health)

    def dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one HTTP request (called from the server's handler threads)."""
        started = time.perf_counter()
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        key, region, service = wire.credential_scope(handler.headers.get("Authorization"))
        if service == "sts":
            return self._dispatch_sts(handler, started, raw, key, region)
        target = handler.headers.get("X-Amz-Target")
        op = wire.operation(target) or target
        status, account = None, None
        try:
            account = self.sts.account_of(key, handler.headers.get("X-Amz-Security-Token"))
            with self._lock:
                self.request_counts[(region, op)] += 1
                self._nth[(account, region, op)] += 1
                nth = self._nth[(account, region, op)]
            if self.config.latency_s:
                time.sleep(self.config.latency_s)
            body, status = self._answer(account, region, op, nth, raw), 200
            send(handler, status, body)
        except _Dropped:
            handler.close_connection = True
        except wire.ApiError as err:
            status = err.status
            send(handler, status, err.body(), err.type)
        except StsError as err:  # credentials the endpoint's STS refuses (expired, wrong token)
            status = err.status
            send(handler, status, wire.ApiError(err.status, err.code, err.message).body(), err.code)
        self._log(RequestRecord(region, op, started, time.perf_counter(), status, account, key))

    def _dispatch_sts(self, handler: BaseHTTPRequestHandler, started: float, raw: bytes, key: str | None,
                      region: str | None) -> None:
        account = self.sts.base_account
        try:
            account = self.sts.account_of(key, handler.headers.get("X-Amz-Security-Token"))
            body, status = self.sts.handle(raw, account), 200
        except StsError as err:
            body, status = err.body(), err.status
        send(handler, status, body, content_type=STS_CONTENT_TYPE)
        self._log(RequestRecord(region, action_of(raw), started, time.perf_counter(), status, account, key))

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.request_log.append(record)

    def _answer(self, account: str, region: str | None, op: str | None, nth: int, raw: bytes) -> bytes:
        if region is None:
            raise wire.missing_authentication()
        if region not in self._known_regions:
            raise wire.invalid_region()
        params = _params(raw)
        fault = self.faults.decide(region, op or "", nth, account)
        # An expired token needs a token: the first page of a listing cannot have one.
        if fault is not None and not (fault is Fault.EXPIRED_TOKEN and params.get("pageToken") is None):
            raise _fault_error(fault, region)
        if op == "GetInstances":
            return self._get_instances(self.stores[account], region, params)
        if op == "GetRegions":
            return _regions_body(params.get("includeAvailabilityZones") is True,
                                 params.get("includeRelationalDatabaseAvailabilityZones") is True)
        raise wire.unknown_operation()

    def _get_instances(self, store: PageStore, region: str, params: dict) -> bytes:
        token = params.get("pageToken")
        try:
            index = 0 if token is None else decode_token(str(token), region)
            # A known Lightsail region outside the fleet simply has no instances.
            return store.page(region, index, params.get("includeHealthStatus") is True)
        except BadToken as exc:
            raise wire.invalid_input(str(exc)) from None
        except IndexError:
            raise wire.invalid_input("Invalid pageToken.") from None


def _sizes(config: EndpointConfig, seed: int) -> dict[str, int]:
    if config.region_sizes:
        return dict(zip(config.regions, config.region_sizes, strict=True))
    return region_sizes(config.fleet_size, list(config.regions), seed)


def _fault_error(fault: Fault, region: str) -> Exception:
    if fault is Fault.DROP_CONNECTION:
        return _Dropped()
    if fault is Fault.FAILING_REGION:
        return wire.access_denied(region)
    if fault is Fault.EXPIRED_TOKEN:
        return wire.expired_page_token()
    return wire.throttled() if fault is Fault.THROTTLE else wire.service_error()


def _params(raw: bytes) -> dict:
    try:
        params = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise wire.serialization("Request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise wire.serialization("Request body must be a JSON object.")
    return params


@cache
def _regions_body(include_azs: bool, include_database_azs: bool) -> bytes:
    return orjson.dumps({"regions": region_records(include_azs, include_database_azs)})


def serve(config: EndpointConfig, announce: Callable[[str], None] = print) -> None:
    """Run the endpoint in the foreground until Ctrl-C; `announce` gets its base URL once listening."""
    with FakeLightsail(config) as fake:
        announce(fake.url)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
