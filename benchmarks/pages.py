"""The benchmark's input: GetInstances page bodies of a generated fleet, written once, read by every case."""

import struct
from pathlib import Path

import orjson

from pipelines.fake_endpoint import generate_fleet

PAGE_SIZE = 100
REGION = "us-east-1"


def write_pages(path, size, seed=7):
    """Serialise a fleet of `size` instances as length-prefixed page bodies; returns the page count."""
    records = generate_fleet(size, [REGION], seed)[REGION]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as out:
        for start in range(0, len(records), PAGE_SIZE):
            page = {"instances": records[start : start + PAGE_SIZE]}
            if start + PAGE_SIZE < len(records):
                page["nextPageToken"] = f"page-{count + 1}"
            body = orjson.dumps(page)
            out.write(struct.pack("<I", len(body)))
            out.write(body)
            count += 1
    return count


def read_pages(path):
    """The page bodies, as bytes, in order."""
    data = Path(path).read_bytes()
    pages, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        pages.append(data[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return pages
