"""A GetInstances response body: its page token, read cheaply, and its records, decoded once where needed."""

import re

import orjson

from pipelines.gc_pause import gc_paused

# The token is the last member of the top-level object (or the first): what follows it closes the
# document. Inside string values quotes are escaped, and an object nested in an instance would be
# followed by more than one closing bracket, so a match can only be the top-level member.
_LAST = re.compile(rb'"nextPageToken"\s*:\s*("(?:[^"\\]|\\.)*"|null)\s*}\s*\Z', re.S)
_FIRST = re.compile(rb'\A\s*{\s*"nextPageToken"\s*:\s*("(?:[^"\\]|\\.)*"|null)\s*,')


class MalformedPage(Exception):
    """A 200 answer whose body is not a GetInstances page."""


def page_token(body):
    """The nextPageToken of a body without decoding its instances (falls back to a full decode)."""
    key = body.rfind(b'"nextPageToken"')
    if key < 0:
        return None if body.lstrip()[:1] == b"{" else decode_page(body)[0]
    match = _LAST.match(body, key) or _FIRST.match(body)
    if match:
        return orjson.loads(match.group(1))
    return decode_page(body)[0]


def decode_page(body):
    """(nextPageToken, records) of a GetInstances body; MalformedPage if it is not one."""
    try:
        with gc_paused():
            document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPage(f"GetInstances answered 200 with a body that is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("instances", []), list):
        raise MalformedPage("GetInstances answered 200 without an `instances` list")
    return document.get("nextPageToken"), document.get("instances") or []
