"""Events to and from JSON and CSV, for ``export`` and for merging logs from other machines.

Pure: standard library only. The JSON form of an event is exactly
``{"id", "at", "kind", "action", "duration_s", "detail", "seq"}`` with ``at`` an ISO-8601 UTC
instant, ``kind`` null for events that belong to no break, ``duration_s`` null when there is
none, and ``seq`` the exporting log's sequence number (null for an event never stored).
CSV has the same columns in that order; an empty ``kind``, ``duration_s`` or ``seq`` cell means
null. Exports written before ``seq`` existed (no such field, or the six-column CSV header) still
read. On import the numbers are informative only: the receiving log numbers events itself.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from posturebreak.domain import Action, BreakKind, Event, to_utc

FIELDS = ("id", "at", "kind", "action", "duration_s", "detail", "seq")
# What every record must have: exports from before the sequence number lack "seq".
REQUIRED = FIELDS[:-1]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class ImportFormatError(Exception):
    """Input that is not a list of events; the one-line message names the record and the fault."""


def event_to_dict(e: Event) -> dict[str, object]:
    """The JSON form of ``e``."""
    return {
        "id": e.id,
        "at": to_utc(e.at).isoformat(timespec="microseconds"),
        "kind": None if e.kind is None else e.kind.value,
        "action": e.action.value,
        "duration_s": None if e.duration_s is None else float(e.duration_s),
        "detail": e.detail,
        "seq": e.seq,
    }


def _fail(where: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{where}: {problem}" if where else problem)


def _text(d: Mapping[str, object], key: str, where: str) -> str:
    value = d[key]
    if not isinstance(value, str):
        raise _fail(where, f"{key!r} must be a string, not {type(value).__name__}")
    return value


def _parse_at(text: str, where: str) -> datetime:
    # Python 3.10's fromisoformat does not read a trailing "Z", which other tools write.
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        raise _fail(where, f"'at' is not an ISO-8601 time: {text!r}") from None
    if at.utcoffset() is None:
        raise _fail(where, f"'at' has no time zone: {text!r} (add +00:00 for UTC)")
    try:
        return to_utc(at)
    except OverflowError:
        raise _fail(where, f"'at' is out of range: {text!r}") from None


def _parse_duration(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"'duration_s' must be a number or null, not {value!r}")
    duration = float(value)
    if not math.isfinite(duration) or duration < 0:
        raise _fail(where, f"'duration_s' must be a non-negative number, not {value!r}")
    return duration


def _parse_seq(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(where, f"'seq' must be a whole number from 1 up, or null, not {value!r}")
    return value


def event_from_dict(d: Mapping[str, object], where: str = "") -> Event:
    """The event ``d`` describes, validated strictly; ``ImportFormatError`` says what is wrong.

    ``where`` (e.g. ``"export.json: record 3"``) starts the error message.
    """
    if not isinstance(d, Mapping):
        raise _fail(where, f"expected an object with {', '.join(FIELDS)}, not {type(d).__name__}")
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise _fail(where, f"missing {', '.join(missing)}")
    extra = sorted(str(k) for k in d if k not in FIELDS)
    if extra:
        raise _fail(where, f"unknown field {', '.join(extra)} (expected {', '.join(FIELDS)})")
    event_id = _text(d, "id", where)
    if not _UUID.fullmatch(event_id):
        raise _fail(where, f"'id' is not a UUID: {event_id!r}")
    at = _parse_at(_text(d, "at", where), where)
    kind_text = d["kind"]
    if kind_text is None:
        kind = None
    elif isinstance(kind_text, str) and kind_text in {k.value for k in BreakKind}:
        kind = BreakKind(kind_text)
    else:
        choices = ", ".join(k.value for k in BreakKind)
        raise _fail(where, f"unknown kind {kind_text!r} (expected {choices} or null)")
    action_text = d["action"]
    if not isinstance(action_text, str) or action_text not in {a.value for a in Action}:
        choices = ", ".join(a.value for a in Action)
        raise _fail(where, f"unknown action {action_text!r} (expected one of: {choices})")
    detail = _text(d, "detail", where)
    try:
        detail.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(where, "'detail' holds characters that are not valid Unicode") from None
    return Event(
        id=event_id.lower(),
        at=at,
        kind=kind,
        action=Action(action_text),
        duration_s=_parse_duration(d["duration_s"], where),
        detail=detail,
        seq=_parse_seq(d.get("seq"), where),
    )


def to_json(events: Iterable[Event]) -> str:
    """The events as a JSON list, indented by 2."""
    return json.dumps([event_to_dict(e) for e in events], indent=2)


def to_csv(events: Iterable[Event]) -> str:
    """The events as CSV with the header ``id,at,kind,action,duration_s,detail,seq``."""
    out = io.StringIO()
    import csv  # export/import only, not the running app

    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for e in events:
        d = event_to_dict(e)
        writer.writerow(
            ["" if d[k] is None else repr(d[k]) if k == "duration_s" else d[k] for k in FIELDS]
        )
    return out.getvalue()


def _prefix(where: str, record: str) -> str:
    return f"{where}: {record}" if where else record


def _parse_json(text: str, where: str) -> list[Event]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(where, f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise _fail(where, f"expected a JSON list of events, not {type(data).__name__}")
    return [event_from_dict(item, _prefix(where, f"record {n}")) for n, item in enumerate(data, 1)]


def _csv_seq(cell: str, where: str) -> int | None:
    if cell == "":
        return None
    try:
        return int(cell)
    except ValueError:
        raise _fail(where, f"'seq' must be a whole number or empty, not {cell!r}") from None


def _csv_duration(cell: str, where: str) -> float | None:
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        raise _fail(where, f"'duration_s' must be a number or empty, not {cell!r}") from None


def _parse_csv(text: str, where: str) -> list[Event]:
    import csv  # export/import only, not the running app

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = tuple(h.strip() for h in next(reader, []))
        if header not in (FIELDS, REQUIRED):
            first = text.splitlines()[0] if text.strip() else "(empty)"
            raise _fail(
                where,
                f"not a JSON list or a CSV with the header {','.join(FIELDS)}"
                f" (first line: {first[:60]!r})",
            )
        events = []
        for row in reader:
            here = _prefix(where, f"line {reader.line_num}")
            if not row:
                continue
            if len(row) != len(header):
                raise _fail(here, f"expected {len(header)} columns, found {len(row)}")
            d: dict[str, object] = dict(zip(header, row, strict=True))
            d["kind"] = row[2] or None
            d["duration_s"] = _csv_duration(row[4], here)
            if len(row) > len(REQUIRED):
                d["seq"] = _csv_seq(row[6], here)
            events.append(event_from_dict(d, here))
    except csv.Error as exc:
        raise _fail(_prefix(where, f"line {reader.line_num}"), f"bad CSV: {exc}") from None
    return events


def parse_events(text: str, where: str = "") -> list[Event]:
    """The events in ``text``, a JSON list or CSV (as written by ``to_json``/``to_csv``).

    ``where`` (usually the file name) starts any error message.
    """
    body = text.removeprefix("\ufeff")  # spreadsheets save UTF-8 with a byte-order mark
    if body.lstrip().startswith(("[", "{")):
        return _parse_json(body, where)
    return _parse_csv(body, where)
