"""GetInstances response pages of the generated fleet: built lazily, serialised once, cached as bytes."""

import base64
import threading

import orjson

from pipelines.fake_endpoint.fleet import CHUNK, generate_chunk
from pipelines.fake_endpoint.catalog import REFERENCE_TS
from pipelines.fake_endpoint.nights import as_of, grown_size

_EMPTY_PAGE = orjson.dumps({"instances": []})


class BadToken(ValueError):
    """A pageToken that is garbage, out of range, or minted for another region."""


def encode_token(region: str, page: int) -> str:
    # Opaque to clients, but carries the region so a token replayed elsewhere can be refused.
    return base64.urlsafe_b64encode(f"v1|{region}|{page}".encode()).decode()


def decode_token(token: str, region: str) -> int:
    try:
        version, token_region, page = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        index = int(page)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors too
        raise BadToken("Invalid pageToken.") from exc
    if version != "v1" or index < 1:
        raise BadToken("Invalid pageToken.")
    if token_region != region:
        raise BadToken(f"The pageToken was issued in {token_region}, not {region}.")
    return index


class PageStore:
    """Serves page `index` of a region; keeps serialised pages until `cache_bytes` is used up."""

    def __init__(self, sizes: dict[str, int], page_size: int, seed: int, account_id: str, cache_bytes: int, day: int = 0,
                 day_zero_ts: float = REFERENCE_TS):
        # `day` nights of change (pipelines.fake_endpoint.nights): more indices, some deleted, some changed.
        self.base_sizes, self.day, self.day_zero_ts = sizes, day, day_zero_ts
        sizes = {region: grown_size(count, day) for region, count in sizes.items()}
        self.sizes, self.page_size, self.seed, self.account_id = sizes, page_size, seed, account_id
        self.cache_bytes, self.cached_bytes = cache_bytes, 0
        self._pages: dict[tuple[str, int, bool], bytes] = {}
        self._locks = {region: threading.Lock() for region in sizes}
        self._budget_lock = threading.Lock()
        # The last generated chunk per (region, health): consecutive pages mostly share one.
        self._chunks: dict[tuple[str, bool], tuple[int, list[dict]]] = {}

    def page_count(self, region: str) -> int:
        return -(-self.sizes.get(region, 0) // self.page_size)

    def page(self, region: str, index: int, include_health: bool) -> bytes:
        """Raises IndexError for a page the region does not have."""
        if self.page_count(region) == 0 and index == 0:
            return _EMPTY_PAGE
        if not 0 <= index < self.page_count(region):
            raise IndexError(index)
        key = (region, index, include_health)
        body = self._pages.get(key)
        if body is None:
            with self._locks[region]:
                body = self._pages.get(key) or self._build(region, index, include_health)
        return body

    def warm(self, include_health: bool = True) -> None:
        """Serialise every page up front (until the cache budget is spent), e.g. before a benchmark."""
        for region in self.sizes:
            for index in range(self.page_count(region)):
                self.page(region, index, include_health)

    def _build(self, region: str, index: int, include_health: bool) -> bytes:
        start = index * self.page_size
        stop = min(start + self.page_size, self.sizes[region])
        page: dict = {"instances": self._instances(region, start, stop, include_health)}
        if index + 1 < self.page_count(region):
            page["nextPageToken"] = encode_token(region, index + 1)
        body = orjson.dumps(page)
        # Fill-until-full rather than LRU: a sequential scan larger than any LRU would never hit it.
        with self._budget_lock:
            if self.cached_bytes + len(body) <= self.cache_bytes:
                self._pages[(region, index, include_health)] = body
                self.cached_bytes += len(body)
        return body

    def _instances(self, region: str, start: int, stop: int, include_health: bool) -> list[dict]:
        out = []
        for chunk in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            memo = self._chunks.get((region, include_health))
            if memo is None or memo[0] != chunk:
                records = generate_chunk(region, chunk, self.sizes[region], seed=self.seed,
                                         account_id=self.account_id, include_health=include_health)
                memo = self._chunks[(region, include_health)] = (chunk, records)
            base = chunk * CHUNK
            out.extend(memo[1][max(start, base) - base: stop - base])
        if self.day:
            changed = (as_of(inst, region=region, index=start + i, base_count=self.base_sizes[region], seed=self.seed,
                             day=self.day, day_zero_ts=self.day_zero_ts) for i, inst in enumerate(out))
            out = [inst for inst in changed if inst is not None]
        return out
