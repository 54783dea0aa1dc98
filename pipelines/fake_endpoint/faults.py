"""Deterministic fault injection for the fake endpoint: failing regions, dropped connections, throttles, 500s."""

import random
import threading
from enum import Enum


class Fault(Enum):
    FAILING_REGION = "failing_region"
    DROP_CONNECTION = "drop_connection"
    EXPIRED_TOKEN = "expired_token"
    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"


class FaultPlan:
    """Decides the fault, if any, for the `nth` request (1-based) of an (account, region, operation).

    `failing_regions` entries are a region (failing in every account) or `account/region` (only there).
    The base account's streams are named as before accounts existed, so its fault sequences do not change.
    """

    def __init__(self, throttle_rate: float = 0.0, error_rate: float = 0.0, drop_after: int | None = None,
                 failing_regions: tuple[str, ...] = (), seed: int = 0, expire_token_at: int | None = None, base_account: str = ""):
        self.throttle_rate, self.error_rate = throttle_rate, error_rate
        self.drop_after, self.failing_regions, self.seed = drop_after, frozenset(failing_regions), seed
        self.expire_token_at, self.base_account = expire_token_at, base_account
        self._streams: dict[tuple[str, str, str], random.Random] = {}
        self._lock = threading.Lock()

    def decide(self, region: str, operation: str, nth: int, account: str = "") -> Fault | None:
        if region in self.failing_regions or f"{account}/{region}" in self.failing_regions:
            return Fault.FAILING_REGION
        # `nth` only grows, so each region drops (or expires its token) exactly once.
        if operation == "GetInstances" and nth == self.drop_after:
            return Fault.DROP_CONNECTION
        if operation == "GetInstances" and nth == self.expire_token_at:
            return Fault.EXPIRED_TOKEN
        draw = self._draw(account, region, operation)
        if draw < self.throttle_rate:
            return Fault.THROTTLE
        if draw < self.throttle_rate + self.error_rate:
            return Fault.SERVER_ERROR
        return None

    def _draw(self, account: str, region: str, operation: str) -> float:
        # One stream per (account, region, operation): a region's fault sequence does not depend on how
        # requests of other regions interleave with it.
        with self._lock:
            stream = self._streams.get((account, region, operation))
            if stream is None:
                prefix = "" if account in ("", self.base_account) else account + ":"
                name = f"{self.seed}:{prefix}{region}:{operation}"
                stream = self._streams[(account, region, operation)] = random.Random(name)
            return stream.random()
