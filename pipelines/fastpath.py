"""The fast path: a batch of GetInstances bodies straight into one Arrow array, parsed in C++.

Arrow's JSON reader, given the explicit schema of a page, refuses everything the record path would
refuse or set aside: an unknown key at any depth, a value of the wrong JSON type, a fraction or an
out-of-range number in an integer field. What it cannot tell apart (an explicit null from an absent
key, lone surrogate escapes) is screened out on the bytes beforehand, and numbers the record path would
judge differently (huge floats, timestamps out of range) on the parsed columns afterwards.
Any doubt sends the whole batch down the record path (pipelines.validate), which gives the same rows;
the fast path only skips building Python objects for the common, clean case.
"""

import io
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from pipelines.shape import SHAPE
from pipelines.normalise import INGEST

PAGE = pa.schema([("instances", pa.list_(INGEST)), ("nextPageToken", pa.string())])
_PARSE = pj.ParseOptions(explicit_schema=PAGE, unexpected_field_behavior="error")
_SURROGATE = re.compile(rb"\\u[dD][89abAB]")
EPOCH_LIMIT = 1e11  # as pipelines.validate.EPOCH_SECONDS
FLOAT_EXACT = 2.0**53  # beyond it an integer in a float field may have been rounded


def _in_doubt(body):
    """Bytes that need the record path: a null, a newline (NDJSON framing), a surrogate escape.

    These scans run at memory speed; a match inside a string value only costs speed, never rows.
    """
    # (The regex alone is three times faster than first testing for a backslash-u.)
    return b"null" in body or b"\n" in body or _SURROGATE.search(body) is not None


def fast_array(bodies):
    """All instances of `bodies` as one struct array of the ingest type, or None when in doubt."""
    if not bodies or any(_in_doubt(body) for body in bodies):
        return None
    document = b"\n".join(bodies)
    # Blocks of 4 MiB: a batch is parsed on a few threads, and larger blocks cost less CPU than the
    # default 1 MiB (measured: a third less on 100k instances). A block must hold at least one whole page.
    options = pj.ReadOptions(block_size=max(4 << 20, 2 * max(len(b) for b in bodies)))
    try:
        pages = pj.read_json(io.BytesIO(document), read_options=options, parse_options=_PARSE)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pages.num_rows != len(bodies):
        return None
    instances = pc.list_flatten(pages.column("instances").combine_chunks())
    if len(instances) and (instances.field("arn").null_count or not _numbers_in_range(instances, SHAPE)):
        return None
    return instances


def _numbers_in_range(array, node):
    """Epoch seconds within the record path's range; floats small enough that no integer was rounded."""
    if node.kind == "scalar":
        if array.null_count == len(array):
            return True
        if pa.types.is_timestamp(node.type):
            limit = EPOCH_LIMIT
        elif pa.types.is_floating(node.type):
            limit = FLOAT_EXACT - 1
        else:
            return True
        bounds = pc.min_max(array)
        return -limit <= bounds["min"].as_py() and bounds["max"].as_py() <= limit
    if node.kind == "list":
        return _numbers_in_range(pc.list_flatten(array), node.item)
    members = dict(zip((f.name for f in array.type), array.flatten()))
    return all(_numbers_in_range(members[name], child) for name, child in node.members.items())
