"""The JSON shape of one GetInstances record, derived from the table schemas in `schemas/`.

Every instance table says where its items live (`hardware.disks[]`) and every column where its value lives
inside the item (`location.regionName`). Put together, they describe the whole record as a tree; the
normaliser, the validator and the rebuilder all walk that one tree, so `schemas/` stays the only truth.
"""

from dataclasses import dataclass, field

import pyarrow as pa

from schemas import INSTANCE_TABLES, meta


@dataclass
class Node:
    """A position in the record: a struct (members), a list (item) or a scalar (arrow type)."""

    kind: str  # "struct" | "list" | "scalar"
    members: dict = field(default_factory=dict)
    item: "Node | None" = None
    type: pa.DataType | None = None
    table: str | None = None  # for lists of rows and the root: the table whose rows the items are


def parse_path(path):
    """'hardware.disks[].tags[]' -> ['hardware', 'disks', '[]', 'tags', '[]']."""
    tokens = []
    for part in filter(None, path.split(".")):
        name, brackets = part.split("[]", 1)[0], part.count("[]")
        if name:
            tokens.append(name)
        tokens.extend(["[]"] * brackets)
    return tokens


def _descend(node, tokens):
    for token in tokens:
        if token == "[]":
            if node.item is None:
                node.item = Node("struct")
            node = node.item
        else:
            node = node.members.setdefault(token, Node("struct"))
    return node


def _ensure_list(node, tokens):
    """Mark the node at `tokens` as a list (creating it if needed) and return it."""
    parent = _descend(node, tokens[:-1])
    target = parent.members.setdefault(tokens[-1], Node("list"))
    target.kind = "list"
    return target


def build_shape():
    root = Node("struct", table="instances")
    for name, schema in INSTANCE_TABLES.items():
        item_tokens = parse_path(meta(schema, "source"))
        if item_tokens:
            list_node = _ensure_list(root, item_tokens[:-1])
            if list_node.item is None:
                list_node.item = Node("struct")
            list_node.table = name
        for f in schema:
            source = (f.metadata or {}).get(b"source")
            role = (f.metadata or {}).get(b"role")
            if source is None:
                continue
            tokens = item_tokens + parse_path(source.decode())
            if role == b"count":
                _ensure_list(root, tokens)
            elif tokens and tokens[-1] == "[]":
                list_node = _ensure_list(root, tokens[:-1])
                list_node.item = Node("scalar", type=f.type)
            else:
                leaf = _descend(root, tokens)
                leaf.kind, leaf.type = "scalar", f.type
    return root


SHAPE = build_shape()


def walk_leaves(node=SHAPE, path=()):
    """Yield (path tuple, scalar node) for every scalar in the tree; '[]' marks list items."""
    if node.kind == "scalar":
        yield path, node
    elif node.kind == "list":
        yield from walk_leaves(node.item, path + ("[]",))
    else:
        for name, member in node.members.items():
            yield from walk_leaves(member, path + (name,))


def format_path(tokens):
    """['hardware', 'disks', '[]', 'tags', '[]'] -> 'hardware.disks[].tags[]' (the inverse of parse_path)."""
    return ".".join(tokens).replace(".[]", "[]")


def leaf_columns():
    """{leaf path: (table, column)} for every column holding a value of the record (not keys or counts)."""
    leaves = {}
    for name, schema in INSTANCE_TABLES.items():
        item_tokens = parse_path(meta(schema, "source"))
        for f in schema:
            source = (f.metadata or {}).get(b"source")
            if source is not None and (f.metadata or {}).get(b"role") != b"count":
                leaves[format_path(item_tokens + parse_path(source.decode()))] = (name, f.name)
    return leaves


def ingest_type(node=SHAPE):
    """The Arrow type records are first converted to: timestamps arrive as epoch seconds (float64)."""
    if node.kind == "scalar":
        return pa.float64() if pa.types.is_timestamp(node.type) else node.type
    if node.kind == "list":
        return pa.list_(ingest_type(node.item))
    return pa.struct([(name, ingest_type(member)) for name, member in node.members.items()])
