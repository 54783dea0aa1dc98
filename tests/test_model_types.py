"""Our schemas against the installed botocore Lightsail model: same members, types that follow the model."""

import copy

import pyarrow as pa

from pipelines.drift import ARROW_TYPES, missing_paths, model_leaves, our_leaves, service_shapes, type_mismatches
from schemas import INSTANCE_TABLES


def test_every_member_of_the_installed_model_has_a_column():
    assert missing_paths(service_shapes()) == []


def test_every_column_type_follows_the_model():
    assert type_mismatches(service_shapes()) == []
    model = model_leaves(service_shapes())
    assert our_leaves()["hardware.cpuCount"] == ARROW_TYPES[model["hardware.cpuCount"]["type"]] == pa.int64()
    assert our_leaves()["hardware.disks[].createdAt"] == pa.timestamp("us", tz="UTC")


def test_keys_positions_and_counts_have_fixed_types():
    for schema in INSTANCE_TABLES.values():
        for f in schema:
            role = (f.metadata or {}).get(b"role")
            if role in (b"ordinal", b"count"):
                assert f.type == pa.int32(), f"{schema.metadata[b'name']}.{f.name}"
            if (f.metadata or {}).get(b"key") == b"true":
                assert not f.nullable and f.metadata[b"description"], f"{schema.metadata[b'name']}.{f.name}"


def test_a_newer_model_with_more_members_lists_the_missing_paths():
    shapes = copy.deepcopy(service_shapes())
    shapes["InstancePortInfo"]["members"]["ipv6Prefix"] = {"shape": "string"}
    shapes["Instance"]["members"]["placement"] = {"shape": "Placement"}
    shapes["Placement"] = {"type": "structure", "members": {"groupName": {"shape": "string"}, "partition": {"shape": "integer"}}}
    assert missing_paths(shapes) == ["networking.ports[].ipv6Prefix", "placement.groupName", "placement.partition"]


def test_a_model_that_changes_a_type_is_reported():
    shapes = copy.deepcopy(service_shapes())
    shapes["InstanceHardware"]["members"]["cpuCount"] = {"shape": "float"}
    assert type_mismatches(shapes) == [("hardware.cpuCount", "float", pa.int64())]
