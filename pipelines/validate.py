"""Strict type checks for GetInstances records, and the split of odd records into typed part + patch.

A whole batch is checked at once by msgspec (in C). Only when that fails is each record looked at in
Python: unknown keys, explicit nulls and other things the typed columns cannot hold are moved into a
per-row JSON patch, and a record whose remaining values still do not fit their types is quarantined.
Nothing is coerced: a string where an integer belongs, 1.5 in an integer field or a string where a list
belongs is refused, never converted.
"""

import re
from dataclasses import dataclass, field
from typing import Annotated

import msgspec
import pyarrow as pa

from pipelines.shape import SHAPE

INT64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
# A float member may arrive as a JSON integer; only integers a float64 holds exactly are accepted.
FLOAT64 = Annotated[int, msgspec.Meta(ge=-(2**53), le=2**53)] | float
EPOCH_SECONDS = Annotated[float, msgspec.Meta(ge=-1e11, le=1e11)]  # µs since 1970 must fit in int64
REQUIRED = {("arn",)}  # without an ARN a record cannot be keyed


def _scalar_type(arrow_type):
    if pa.types.is_timestamp(arrow_type):
        return EPOCH_SECONDS
    if pa.types.is_integer(arrow_type):
        return INT64
    if pa.types.is_floating(arrow_type):
        return FLOAT64
    if pa.types.is_boolean(arrow_type):
        return bool
    return str


def _msgspec_type(node, path=(), name="Instance"):
    if node.kind == "scalar":
        return _scalar_type(node.type)
    if node.kind == "list":
        item = _msgspec_type(node.item, path + ("[]",), name + "Item")
        return list[item | None] if node.item.kind == "scalar" else list[item]
    fields = []
    for member, child in node.members.items():
        child_type = _msgspec_type(child, path + (member,), name + member[:1].upper() + member[1:])
        if path + (member,) in REQUIRED:
            fields.append((member, child_type))
        else:
            fields.append((member, child_type | msgspec.UnsetType, msgspec.UNSET))
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)


INSTANCE = _msgspec_type(SHAPE)
_BATCH = list[INSTANCE]
_AT = re.compile(r" - at `\$(?:\[\d+\])?(.*)`$")


@dataclass
class Split:
    """The outcome of checking a batch: clean records, per-row patches, and refused records."""

    clean: list = field(default_factory=list)
    patches: dict = field(default_factory=dict)  # (table, root_row, ordinals) -> patch dict
    unknown: dict = field(default_factory=dict)  # path template -> number of rows with it
    quarantined: list = field(default_factory=list)  # (position in input, record, path, reason)


def split_batch(records):
    """Check `records`; the fast path is one msgspec call when everything fits."""
    try:
        msgspec.convert(records, _BATCH, strict=True)
        return Split(clean=records)
    except msgspec.ValidationError:
        pass
    out = Split()
    for position, record in enumerate(records):
        patches, unknown = {}, {}
        cleaned = _strip(record, SHAPE, "instances", (), (), "", patches, unknown)
        try:
            msgspec.convert(cleaned, INSTANCE, strict=True)
        except msgspec.ValidationError as error:
            path, reason = _where(str(error))
            out.quarantined.append((position, record, path, reason))
            continue
        root = len(out.clean)
        out.clean.append(cleaned)
        for (table, ordinals), patch in patches.items():
            out.patches[(table, root, ordinals)] = patch
        for template in unknown:
            out.unknown[template] = out.unknown.get(template, 0) + 1
    return out


def _where(message):
    match = _AT.search(message)
    path = "$" + (match.group(1) if match else "")
    return path, _AT.sub("", message)


def _strip(value, node, table, ordinals, rel, template, patches, unknown):
    """Copy of `value` without what the typed columns cannot hold; that goes to `patches`."""
    if node.kind == "struct" and isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            child = node.members.get(key)
            child_rel, child_template = rel + (key,), f"{template}.{key}" if template else key
            if child is None:
                _set(patches, table, ordinals, child_rel, item)
                unknown[child_template] = True
            elif item is None:
                _set(patches, table, ordinals, child_rel, None)
            else:
                cleaned[key] = _strip(item, child, table, ordinals, child_rel, child_template, patches, unknown)
        return cleaned
    if node.kind == "list" and isinstance(value, list):
        if node.item.kind == "scalar":
            return value
        return [
            _strip(item, node.item, node.table, ordinals + (i,), (), template + "[]", patches, unknown)
            for i, item in enumerate(value)
        ]
    return value  # wrong kind of value: left for msgspec to refuse


def _set(patches, table, ordinals, rel, value):
    target = patches.setdefault((table, ordinals), {})
    for key in rel[:-1]:
        target = target.setdefault(key, {})
    target[rel[-1]] = value
