"""Property tests: instances generated from botocore's `Instance` shape survive normalise -> rebuild unchanged."""

import datetime as dt
from collections import Counter

import botocore.session
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.fake_endpoint import generate_fleet
from pipelines.normalise import Snapshot, normalise_records
from pipelines.rebuild import rebuild, rebuild_from_duckdb
from pipelines.warehouse import ensure_tables, q

INSTANCE = botocore.session.get_session().get_service_model("lightsail").shape_for("Instance")
SNAPSHOT = Snapshot(dt.date(2026, 12, 1), "123456789012", "us-east-1")
INT64 = (-(2**63), 2**63 - 1)
EPOCH = 10**11  # |epoch seconds| the validator accepts

# --- generating instances from the model ---------------------------------------------------------------

CHARS = st.characters(blacklist_categories=("Cs",))  # JSON cannot carry lone surrogates
TEXT = st.text(CHARS, max_size=12)
LONG_TEXT = st.builds(lambda s, n: s * n, st.text(CHARS, min_size=1, max_size=4), st.integers(2_000, 20_000))
# At most microsecond precision, over the whole accepted range: far from 1970 a double barely holds a µs.
EPOCH_SECONDS = st.floats(-EPOCH, EPOCH).map(lambda x: round(x, 6))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALAR = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | FLOATS | TEXT  # orjson's range
JSON_VALUE = st.recursive(
    JSON_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6
)


def _string(shape):
    values = TEXT | LONG_TEXT
    if shape.enum:
        values = st.sampled_from(shape.enum) | st.sampled_from(shape.enum) | values  # known ones more often
    return values


def _scalar(shape):
    kind = shape.type_name
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return st.sampled_from([*INT64, 0, -1, 1]) | st.integers(*INT64)
    if kind in ("float", "double"):
        return FLOATS | st.integers(-(2**53), 2**53)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return EPOCH_SECONDS | st.integers(-EPOCH, EPOCH)  # JSON integers are whole seconds
    raise AssertionError(f"no strategy for {kind}")


_CACHE = {}


def mostly(common, rare):
    """`common` about three times in four."""
    return st.one_of(common, common, common, rare)


def value_of(shape):
    """A strategy for any valid JSON value of a botocore shape (unknown keys and explicit nulls included)."""
    if shape.name not in _CACHE:
        if shape.type_name == "structure":
            _CACHE[shape.name] = st.deferred(lambda: _structure(shape))
        elif shape.type_name == "list":
            item = value_of(shape.member)
            if shape.member.type_name != "structure":
                item = item | st.none()  # a null inside a list of strings is a value of its own
                longest = st.lists(item, min_size=30, max_size=60)
            else:
                longest = st.lists(item, min_size=4, max_size=6)
            _CACHE[shape.name] = mostly(st.lists(item, max_size=3), longest)
        else:
            _CACHE[shape.name] = _scalar(shape)
    return _CACHE[shape.name]


def _structure(shape):
    members = {name: mostly(value_of(member), st.none()) for name, member in shape.members.items()}
    known = st.fixed_dictionaries({}, optional=members)
    unknown = st.dictionaries(TEXT.filter(lambda key: key not in shape.members), JSON_VALUE, max_size=2)
    return mostly(st.builds(lambda k, u: {**u, **k}, known, mostly(st.builds(dict), unknown)), st.builds(dict))


WRONG = {
    "integer": ["1", 1.5, True, 2**63, -(2**63) - 1], "long": ["1", 1.5, True],
    "float": ["1.5", True, 2**53 + 1], "double": ["1.5", False],
    "boolean": [1, "true"], "string": [1, True, 2.5, ["x"], {"a": "b"}],
    "timestamp": ["2026-12-01T00:00:00Z", True, 1e12], "structure": [[], "x", 1], "list": [{}, "x"],
}


def _slots(value, shape, found):
    """Every (container, key, shape) holding a known, non-null member: places a corruption can go."""
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members and item is not None:
                found.append((value, key, shape.members[key]))
                _slots(item, shape.members[key], found)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            if item is not None:
                found.append((value, i, shape.member))
                _slots(item, shape.member, found)
    return found


def strip_odd(value, shape):
    """`value` without unknown keys and null members: the kind of record the fast path takes."""
    if shape.type_name == "structure":
        return {k: strip_odd(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None}
    if shape.type_name == "list" and shape.member.type_name == "structure":
        return [strip_odd(item, shape.member) for item in value]
    return value


@st.composite
def batches(draw):
    """Several instances with unique ARNs; sometimes one of them broken (wrong type, no ARN, not an object)."""
    records = draw(st.lists(value_of(INSTANCE), min_size=1, max_size=5))
    if draw(st.booleans()):
        records = [strip_odd(record, INSTANCE) for record in records]
    for i, record in enumerate(records):
        record["arn"] = f"arn:aws:lightsail:us-east-1:123456789012:Instance/{i}-" + draw(TEXT)
    if draw(st.integers(0, 3)) == 0:
        victim = draw(st.integers(0, len(records) - 1))
        slots = _slots(records[victim], INSTANCE, [])
        how = draw(st.integers(0, len(slots) + 2))
        if how < len(slots):
            container, key, shape = slots[how]
            container[key] = draw(st.sampled_from(WRONG[shape.type_name]))
        elif how == len(slots):
            records[victim].pop("arn")
        else:
            records[victim] = draw(JSON_SCALAR | st.just([]))
    return records


# --- an oracle written against the model, not against our schemas --------------------------------------


def valid(value, shape):
    """Whether `value` fits `shape` without any conversion (unknown keys and null members allowed)."""
    kind = shape.type_name
    if kind == "structure":
        return isinstance(value, dict) and all(
            item is None or key not in shape.members or valid(item, shape.members[key]) for key, item in value.items()
        )
    if kind == "list":
        scalar = shape.member.type_name not in ("structure", "list")
        return isinstance(value, list) and all((v is None and scalar) or (v is not None and valid(v, shape.member)) for v in value)
    if kind in ("integer", "long"):
        return type(value) is int and INT64[0] <= value <= INT64[1]
    if kind in ("float", "double"):
        return type(value) is float or (type(value) is int and abs(value) <= 2**53)
    if kind == "timestamp":
        return type(value) in (int, float) and -EPOCH <= value <= EPOCH
    return type(value) is {"boolean": bool, "string": str}[kind]


def valid_record(record):
    return isinstance(record, dict) and isinstance(record.get("arn"), str) and valid(record, INSTANCE)


def walk(value, shape, path, visit):
    """Call visit(path, value, shape or None) for every member of a valid record, unknown ones included."""
    if shape.type_name == "structure":
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            visit(child, item, shape.members.get(key))
            if key in shape.members and item is not None:
                walk(item, shape.members[key], child, visit)
    elif shape.type_name == "list":
        for item in value:
            if item is not None:
                walk(item, shape.member, path + "[]", visit)


def expected_reports(records):
    """(unknown member path -> records carrying it, enum path -> Counter of values the model does not list)."""
    unknown, enums = Counter(), {}
    for record in records:
        seen = set()

        def visit(path, value, shape):
            if shape is None:
                seen.add(path)
            elif getattr(shape, "enum", None) and value is not None and value not in shape.enum:
                enums.setdefault(path, Counter())[value] += 1

        walk(record, INSTANCE, "", visit)
        unknown.update(seen)
    return dict(unknown), enums


def same(a, b):
    """JSON equality that tells true from 1 and null from absent; 5 and 5.0 are the same JSON number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def assert_round_trip(records, rebuilt):
    by_arn = {r["arn"]: r for r in rebuilt}
    expected = [r for r in records if valid_record(r)]
    assert sorted(by_arn) == sorted(r["arn"] for r in expected)
    for record in expected:
        assert same(by_arn[record["arn"]], record), record["arn"]


# --- the properties -----------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=300, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(batches())
def test_normalise_then_rebuild_gives_back_every_instance(records):
    check_batch(records)


def check_batch(records):
    """Valid records come back unchanged, the others are quarantined, and the reports list what the model lacks."""
    batch = normalise_records(records, SNAPSHOT)
    assert_round_trip(records, rebuild(batch.tables))
    quarantined = [i for i, r in enumerate(records) if not valid_record(r)]
    assert batch.quarantine.column("record_index").to_pylist() == quarantined
    assert batch.received == len(records) == batch.loaded + batch.quarantine.num_rows
    unknown, enums = expected_reports([r for r in records if valid_record(r)])
    assert batch.unknown == unknown
    assert batch.unseen_enum_values == {path: dict(counts) for path, counts in enums.items()}


@pytest.fixture(scope="module")
def duck():
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        ensure_tables(con)
        yield con


@settings(PROPERTY, max_examples=25)
@given(records=batches())
def test_round_trip_through_duckdb(duck, records):
    batch = normalise_records(records, SNAPSHOT)
    for name, table in batch.tables.items():
        duck.execute(f"delete from {q(name)}")
        duck.register("_rows", table)
        duck.execute(f"insert into {q(name)} by name select * from _rows")
        duck.unregister("_rows")
    assert_round_trip(records, rebuild_from_duckdb(duck, SNAPSHOT.date))


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_fleet_round_trips(seed):
    records = generate_fleet(400, ["eu-west-2"], seed)["eu-west-2"]
    assert_round_trip(records, rebuild(normalise_records(records, SNAPSHOT).tables))


@settings(PROPERTY, max_examples=60)
@given(
    created=st.lists(EPOCH_SECONDS, min_size=50, max_size=50),
    ram=st.lists(FLOATS | st.integers(-(2**54), 2**54), min_size=50, max_size=50),
)
def test_timestamps_and_floats_come_back_exactly(created, ram):
    """Integers a double cannot hold exactly are refused in float members, never rounded."""
    check_batch([{"arn": f"arn:{i}", "createdAt": c, "hardware": {"ramSizeInGb": r}} for i, (c, r) in enumerate(zip(created, ram))])
