"""Rows for a terminal: an aligned text table, CSV or JSON."""

import csv
import datetime as dt
import decimal
import io
import json

FORMATS = ("table", "csv", "json")


def render(columns, rows, fmt="table"):
    """`rows` (tuples in `columns` order) as text in `fmt`."""
    if fmt == "csv":
        return _csv(columns, rows)
    if fmt == "json":
        return json.dumps([dict(zip(columns, row)) for row in rows], default=_plain, indent=2)
    if fmt == "table":
        return _table(columns, rows)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _csv(columns, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue().rstrip("\n")


def _table(columns, rows):
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [all(isinstance(row[i], (int, float, decimal.Decimal)) or row[i] is None for row in rows)
               for i in range(len(columns))]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])] + [line(row) for row in cells]
    out.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(out)


def _cell(value):
    """One value as text: lists and structs as JSON, booleans as true/false (as DuckDB and JSON write them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=_plain, ensure_ascii=False)
    return str(value)


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def plural(count, word):
    """'1 page', '2 pages'."""
    return f"{count} {word}{'' if count == 1 else 's'}"
