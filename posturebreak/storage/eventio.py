"""Events to and from JSON and CSV, for ``export`` and for merging logs from other machines.

Pure: standard library only. The JSON form of an event is exactly
``{"id", "at", "kind", "action", "duration_s", "detail", "seq"}`` with ``at`` an ISO-8601 UTC
instant, ``kind`` null for events that belong to no break, ``duration_s`` null when there is
none, and ``seq`` the exporting log's sequence number (null for an event never stored).
CSV has the same columns in that order; an empty ``kind``, ``duration_s`` or ``seq`` cell means
null. Exports written before ``seq`` existed (no such field, or the six-column CSV header) still
read. On import the numbers are informative only: the receiving log numbers events itself.

This is export format 2 (``FORMAT``). It is implied, not written, so that releases before the
format number still read what this one exports; a later format puts ``"v": <format>`` on every
JSON record (a ``v`` CSV column), and this reader refuses it by name, asking for an update.
Reading streams in chunks with each record bounded (size, nesting, digits), so a hostile or huge
file is refused in one line without exhausting memory or Python's recursion and digit limits.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TextIO

from posturebreak.core.domain import Action, BreakKind, Event, to_utc

FIELDS = ("id", "at", "kind", "action", "duration_s", "detail", "seq")
# What every record must have: exports from before the sequence number lack "seq".
REQUIRED = FIELDS[:-1]

# The export format this version writes and reads: 1 had no "seq", 2 added it. A later format
# must put "v": <format> on every JSON record (and a "v" CSV column) so this one can refuse it.
FORMAT = 2
NOT_UTF8 = "not UTF-8 text; give the JSON or CSV file `posturebreak export` wrote"
# Bounds that keep a hostile file from reaching Python's own limits (recursion, int digits,
# float overflow) or memory: an exported event is ~250 characters, flat, with small numbers.
CHUNK = 64 * 1024
MAX_RECORD = 64 * 1024
MAX_DEPTH = 3
MAX_INT_DIGITS = 19  # seq goes up to 2**63 - 1
MAX_FLOAT_CHARS = 32
MAX_DURATION_S = 24 * 3600.0  # no break or stillness lasts a day

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
    if duration > MAX_DURATION_S:
        raise _fail(where, f"'duration_s' is {duration:.0f} s, more than a day")
    return duration


def _parse_seq(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(where, f"'seq' must be a whole number from 1 up, or null, not {value!r}")
    return value


def _check_version(version: int | None, where: str) -> None:
    if version is not None and version > FORMAT:
        raise _fail(
            where,
            f"this file was written by a newer posturebreak (format {version};"
            f" this one reads up to {FORMAT}): update posturebreak",
        )


def event_from_dict(d: Mapping[str, object], where: str = "") -> Event:
    """The event ``d`` describes, validated strictly; ``ImportFormatError`` says what is wrong.

    ``where`` (e.g. ``"export.json: record 3"``) starts the error message.
    """
    if not isinstance(d, Mapping):
        raise _fail(where, f"expected an object with {', '.join(FIELDS)}, not {type(d).__name__}")
    if "v" in d:
        version = d["v"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise _fail(where, f"'v' must be a format number from 1 up, not {version!r}")
        _check_version(version, where)
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise _fail(where, f"missing {', '.join(missing)}")
    extra = sorted(str(k) for k in d if k not in FIELDS and k != "v")
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


class _NumberError(ValueError):
    """A number literal refused before Python converts it (raised from the JSON decoder's hooks)."""


def _json_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberError(f"a whole number has more than {MAX_INT_DIGITS} digits: {literal[:24]}…")
    return int(literal)


def _json_float(literal: str) -> float:
    if len(literal) > MAX_FLOAT_CHARS:
        raise _NumberError(f"a number is {len(literal)} characters long: {literal[:24]}…")
    return float(literal)


def _json_constant(literal: str) -> float:
    raise _NumberError(f"{literal} is not a number an export holds")


_DECODER = json.JSONDecoder(
    parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant
)
# Skips a string literal whole, or finds a bracket outside strings: enough to bound one record.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]', re.DOTALL)
_SPACE = re.compile(r"[ \t\r\n]*")


class _Reader:
    """Text in chunks: a window ``buf[pos:]`` that never holds much more than one record."""

    def __init__(self, stream: TextIO, where: str) -> None:
        self._stream = stream
        self._where = where
        self.buf = ""
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        """Read another chunk; False at the end of the file."""
        if self.eof:
            return False
        try:
            chunk = self._stream.read(CHUNK)
        except UnicodeDecodeError:
            raise _fail(self._where, NOT_UTF8) from None
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def skip_space(self) -> str:
        """The next character after white space, '' at the end of the file."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]  # * always matches
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def lines(self) -> Iterator[str]:
        """The rest as lines, each at most ``MAX_RECORD`` characters."""
        while True:
            end = self.buf.find("\n", self.pos)
            while end < 0 and len(self.buf) - self.pos <= MAX_RECORD and self.more():
                end = self.buf.find("\n", self.pos)
            if end < 0:
                end = len(self.buf) - 1
                if self.pos > end:
                    return
            if end + 1 - self.pos > MAX_RECORD:
                raise _fail(self._where, f"a line is longer than {MAX_RECORD // 1024} KiB")
            line = self.buf[self.pos : end + 1]
            self.pos = end + 1
            yield line


def _record_end(r: _Reader, here: str) -> int:
    """Where the JSON value starting at ``r.pos`` ends, reading more as needed (bounded)."""
    while True:
        depth = 0
        for m in _TOKEN.finditer(r.buf, r.pos):
            bracket = m.group()
            if bracket in "{[":
                depth += 1
                if depth > MAX_DEPTH:
                    raise _fail(here, f"nested more than {MAX_DEPTH} deep (an event is flat)")
            elif bracket in "}]":
                depth -= 1
                if depth <= 0:
                    return m.end()
            if m.end() - r.pos > MAX_RECORD:
                break
        if len(r.buf) - r.pos > MAX_RECORD:
            raise _fail(here, f"longer than {MAX_RECORD // 1024} KiB (an event is a few lines)")
        if not r.more():
            raise _fail(here, "the file ends inside it (was it cut off?)")


def _json_records(r: _Reader, where: str) -> Iterator[tuple[str, Event]]:
    first = r.skip_space()
    if first == "{":
        raise _fail(where, "expected a JSON list of events, not dict")
    r.pos += 1  # the "["
    n = 0
    while True:
        c = r.skip_space()
        if c == "]" and n == 0:
            r.pos += 1
            break
        n += 1
        here = _prefix(where, f"record {n}")
        if c == "":
            raise _fail(where, f"not valid JSON: the file ends before record {n} (was it cut off?)")
        if c != "{":
            raise _fail(here, f"expected an object with {', '.join(FIELDS)}, not {c!r}")
        end = _record_end(r, f"{where}: not valid JSON: record {n}" if where else f"record {n}")
        try:
            item = _DECODER.decode(r.buf[r.pos : end])
        except _NumberError as exc:
            raise _fail(here, str(exc)) from None
        except json.JSONDecodeError as exc:
            raise _fail(_prefix(where, "not valid JSON"), f"record {n}: {exc.msg}") from None
        r.pos = end
        yield f"record {n}", event_from_dict(item, here)
        c = r.skip_space()
        r.pos += 1
        if c == "]":
            break
        if c != ",":
            after = (
                f"after record {n}: expected , or ] not {c!r}" if c else f"ends after record {n}"
            )
            raise _fail(_prefix(where, "not valid JSON"), after)
    if r.skip_space():
        raise _fail(_prefix(where, "not valid JSON"), "text after the closing ]")


def _csv_int(cell: str, key: str, where: str) -> int | None:
    if cell == "":
        return None
    if len(cell) > MAX_INT_DIGITS + 1 or not cell.lstrip("-").isdigit():
        raise _fail(where, f"{key!r} must be a whole number or empty, not {cell[:24]!r}")
    return int(cell)


def _csv_duration(cell: str, where: str) -> float | None:
    if cell == "":
        return None
    try:
        return float(cell[: MAX_FLOAT_CHARS + 1] if len(cell) <= MAX_FLOAT_CHARS else "?")
    except ValueError:
        raise _fail(where, f"'duration_s' must be a number or empty, not {cell[:24]!r}") from None


def _csv_records(r: _Reader, where: str) -> Iterator[tuple[str, Event]]:
    import csv  # export/import only, not the running app

    reader = csv.reader(r.lines(), strict=True)
    try:
        head = next(reader, [])
        header = tuple(h.strip() for h in head)
        if "v" in header:  # a newer writer's header names its format on every row
            row = next(reader, [])
            if len(row) == len(header):
                _check_version(_csv_int(row[header.index("v")], "v", where), where)
            raise _fail(where, f"'v' is not a CSV column of format {FORMAT}")
        if header not in (FIELDS, REQUIRED):
            first = ",".join(head)[:60] if head else "(empty)"
            raise _fail(
                where,
                f"not a JSON list or a CSV with the header {','.join(FIELDS)}"
                f" (first line: {first!r})",
            )
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
                d["seq"] = _csv_int(row[6], "seq", here)
            yield f"line {reader.line_num}", event_from_dict(d, here)
    except csv.Error as exc:
        raise _fail(_prefix(where, f"line {reader.line_num}"), f"bad CSV: {exc}") from None


def read_events(stream: TextIO, where: str = "") -> Iterator[Event]:
    """The events in ``stream``, a JSON list or CSV (as ``to_json``/``to_csv`` write), one by one.

    Reads in chunks, so memory stays bounded whatever the size of the file; a record over
    ``MAX_RECORD`` characters, nested over ``MAX_DEPTH`` or with an oversized number is refused
    before Python's own limits are reached. ``where`` (usually the file name) starts any error.
    """
    return (e for _, e in _located(stream, where))


def _located(stream: TextIO, where: str) -> Iterator[tuple[str, Event]]:
    """The events with "record N" (JSON) or "line N" (CSV) saying where each one is."""
    r = _Reader(stream, where)
    first = r.skip_space()
    if first == "\ufeff":  # spreadsheets save UTF-8 with a byte-order mark
        r.pos += 1
        first = r.skip_space()
    if first == "":
        raise _fail(where, "the file is empty")
    if first in "[{":
        return _json_records(r, where)
    return _csv_records(r, where)


def check_events(stream: TextIO, where: str = "") -> int:
    """How many events ``stream`` holds, after validating every one; ``ImportFormatError`` if not.

    Also refuses a file that lists one id twice: it names both records. The ids seen are kept
    in a temporary on-disk SQLite table so that a huge file does not fill memory.
    """
    import sqlite3  # import only

    seen = sqlite3.connect("")  # "" is a private temporary database on disk
    try:
        seen.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, place TEXT NOT NULL)")
        n = 0
        for n, (place, e) in enumerate(_located(stream, where), 1):  # noqa: B007  n: the count
            if seen.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (e.id, place)).rowcount:
                continue
            (other,) = seen.execute("SELECT place FROM seen WHERE id = ?", (e.id,)).fetchone()
            unit, a = other.split(" ")  # "record 3" / "line 4": written just above
            both = f"{unit}s {a} and {place.split(' ')[1]}"
            raise _fail(where, f"the file lists event {e.id} twice ({both})")
        return n
    finally:
        seen.close()


def parse_events(text: str, where: str = "") -> list[Event]:
    """The events in ``text``, a JSON list or CSV (as written by ``to_json``/``to_csv``).

    ``where`` (usually the file name) starts any error message.
    """
    return list(read_events(io.StringIO(text, newline=""), where))
