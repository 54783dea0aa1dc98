"""Deterministic fault injection for the fake endpoint: failing regions, dropped connections, throttles, 500s."""

import random
import threading
from enum import Enum


class Fault(Enum):
    FAILING_REGION = "failing_region"
    DROP_CONNECTION = "drop_connection"
    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"


class FaultPlan:
    """Decides the fault, if any, for the `nth` request (1-based) of a (region, operation)."""

    def __init__(self, throttle_rate: float = 0.0, error_rate: float = 0.0, drop_after: int | None = None,
                 failing_regions: tuple[str, ...] = (), seed: int = 0):
        self.throttle_rate, self.error_rate = throttle_rate, error_rate
        self.drop_after, self.failing_regions, self.seed = drop_after, frozenset(failing_regions), seed
        self._streams: dict[tuple[str, str], random.Random] = {}
        self._lock = threading.Lock()

    def decide(self, region: str, operation: str, nth: int) -> Fault | None:
        if region in self.failing_regions:
            return Fault.FAILING_REGION
        # `nth` only grows, so each region drops exactly once.
        if operation == "GetInstances" and nth == self.drop_after:
            return Fault.DROP_CONNECTION
        draw = self._draw(region, operation)
        if draw < self.throttle_rate:
            return Fault.THROTTLE
        if draw < self.throttle_rate + self.error_rate:
            return Fault.SERVER_ERROR
        return None

    def _draw(self, region: str, operation: str) -> float:
        # One stream per (region, operation): a region's fault sequence does not depend on how
        # requests of other regions interleave with it.
        with self._lock:
            stream = self._streams.get((region, operation))
            if stream is None:
                stream = self._streams[(region, operation)] = random.Random(f"{self.seed}:{region}:{operation}")
            return stream.random()
