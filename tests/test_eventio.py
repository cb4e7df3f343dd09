"""Exporting and importing the log as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.storage.eventio import (
    MAX_DURATION_S,
    ImportFormatError,
    event_from_dict,
    event_to_dict,
    parse_events,
    to_csv,
    to_json,
)

T0 = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
ID = "0b6f1a4e-6c1e-4d4e-9c39-8f5f0d3c1a01"

_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
_events = st.builds(
    Event,
    id=st.uuids().map(str),
    at=st.datetimes(
        min_value=datetime(1900, 1, 2),  # noqa: DTZ001  hypothesis bounds are naive by API
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001  hypothesis bounds are naive by API
        timezones=_offsets,
    ),
    kind=st.none() | st.sampled_from(BreakKind),
    action=st.sampled_from(Action),
    duration_s=st.none() | st.floats(min_value=0, max_value=MAX_DURATION_S),
    detail=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    seq=st.none() | st.integers(min_value=1, max_value=2**63 - 1),
)


def good(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": ID,
        "at": "2026-11-21T09:30:00.000000+00:00",
        "kind": "walk",
        "action": "completed",
        "duration_s": 300.0,
        "detail": "",
        "seq": 1,
    }
    return {**base, **changes}


def test_the_json_form_is_exactly_the_documented_one():
    e = Event(ID, T0, None, Action.PAUSED, None, "lunch", seq=42)
    assert event_to_dict(e) == {
        "id": ID,
        "at": "2026-11-21T09:30:00.000000+00:00",
        "kind": None,
        "action": "paused",
        "duration_s": None,
        "detail": "lunch",
        "seq": 42,
    }
    assert json.loads(to_json([e])) == [event_to_dict(e)]
    assert to_json([e]).startswith('[\n  {\n    "id"')
    assert event_to_dict(Event(ID, T0, None, Action.PAUSED))["seq"] is None  # never stored


def test_csv_has_the_documented_header_and_empty_cells_for_none():
    e = Event(ID, T0, None, Action.PAUSED, None, 'said "later", then left')
    numbered = Event(ID, T0, BreakKind.WALK, Action.SKIPPED, None, "", seq=7)
    rows = list(csv.reader(io.StringIO(to_csv([e, numbered]), newline="")))
    assert rows[0] == ["id", "at", "kind", "action", "duration_s", "detail", "seq"]
    assert rows[1] == [ID, "2026-11-21T09:30:00.000000+00:00", "", "paused", "", e.detail, ""]
    assert rows[2][2:] == ["walk", "skipped", "", "", "7"]


@given(st.lists(_events, max_size=10))
def test_json_round_trip(events):
    back = parse_events(to_json(events))
    assert back == events
    assert [e.seq for e in back] == [e.seq for e in events]  # equality leaves seq out
    assert all(e.at.utcoffset() == timedelta(0) for e in back)


@given(st.lists(_events, max_size=10))
def test_csv_round_trip(events):
    back = parse_events(to_csv(events))
    assert back == events
    assert [e.seq for e in back] == [e.seq for e in events]


def test_exports_from_before_the_sequence_number_still_read():
    old_json = json.dumps([{k: v for k, v in good().items() if k != "seq"}])
    (e,) = parse_events(old_json)
    assert (e.id, e.at, e.kind, e.action, e.seq) == (ID, T0, BreakKind.WALK, Action.COMPLETED, None)
    old_csv = (
        f"id,at,kind,action,duration_s,detail\n{ID},2026-11-21T09:30:00+00:00,walk,started,,\n"
    )
    (c,) = parse_events(old_csv)
    assert (c.action, c.seq) == (Action.STARTED, None)


def test_a_csv_from_a_spreadsheet_with_bom_and_no_trailing_newline_reads():
    text = (
        f"\ufeffid,at,kind,action,duration_s,detail\r\n{ID},2026-11-21T10:30:00+01:00,,paused,,hi"
    )
    (e,) = parse_events(text)
    assert e.at == T0
    assert e.kind is None
    assert e.duration_s is None
    assert e.action is Action.PAUSED


def test_a_z_suffix_and_upper_case_ids_are_accepted_as_written_elsewhere():
    e = event_from_dict(good(id=ID.upper(), at="2026-11-21T09:30:00Z"))
    assert e.id == ID
    assert e.at == T0


def test_empty_inputs_give_no_events_or_a_clear_error():
    assert parse_events("[]") == []
    assert parse_events("id,at,kind,action,duration_s,detail\n") == []
    with pytest.raises(ImportFormatError, match="the file is empty"):
        parse_events(" \n")


HEADER = "id,at,kind,action,duration_s,detail\n"
HEADER7 = "id,at,kind,action,duration_s,detail,seq\n"
AT = "2026-11-21T09:30:00+00:00"
SURROGATE = '{"id": "%s", "at": "%s", "kind": null, "action": "paused", "duration_s": null,'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[{", r"^x\.json: not valid JSON: "),
        ('{"id": 1}', r"^x\.json: expected a JSON list of events, not dict$"),
        ("[1]", r"^x\.json: record 1: expected an object"),
        (json.dumps([good(), good(id=7)]), r"^x\.json: record 2: 'id' must be a string, not int$"),
        (json.dumps([good(action="napped")]), r"^x\.json: record 1: unknown action 'napped'"),
        (json.dumps([good(kind="run")]), r"^x\.json: record 1: unknown kind 'run'"),
        (json.dumps([good(at="2026-11-21T09:30:00")]), r"record 1: 'at' has no time zone"),
        (json.dumps([good(at="yesterday")]), r"record 1: 'at' is not an ISO-8601 time"),
        (json.dumps([good(id="12345")]), r"record 1: 'id' is not a UUID: '12345'$"),
        (json.dumps([good(duration_s=-1)]), r"'duration_s' must be a non-negative number"),
        (json.dumps([good(duration_s="5")]), r"'duration_s' must be a number or null"),
        (json.dumps([good(duration_s=True)]), r"'duration_s' must be a number or null"),
        (json.dumps([{"id": ID}]), r"record 1: missing at, kind, action, duration_s, detail$"),
        (json.dumps([good(seq=0)]), r"record 1: 'seq' must be a whole number from 1 up"),
        (json.dumps([good(seq=2.5)]), r"record 1: 'seq' must be a whole number from 1 up"),
        (json.dumps([good(seq="3")]), r"record 1: 'seq' must be a whole number from 1 up"),
        (json.dumps([good(seq=True)]), r"record 1: 'seq' must be a whole number from 1 up"),
        (f"{HEADER7}{ID},{AT},stand,started,,,x\n", r"line 2: 'seq' must be a whole number or"),
        (f"{HEADER7}{ID},{AT},stand,started,,,-4\n", r"line 2: 'seq' must be a whole number"),
        (f"{HEADER7}{ID},{AT},stand,started,,\n", r"line 2: expected 7 columns, found 6$"),
        (json.dumps([good(extra=1)]), r"record 1: unknown field extra"),
        ("[" + SURROGATE % (ID, AT) + ' "detail": "\\ud800"}]', r"'detail' holds characters"),
        ("id;at;kind\n1;2;3\n", r"^x\.json: not a JSON list or a CSV with the header "),
        ("name,age\nbob,3\n", r"first line: 'name,age'"),
        (
            f"{HEADER}{ID},{AT},stand,started,,\n{ID},{AT},stand,started,soon,\n",
            r"^x\.json: line 3: 'duration_s' must be a number or empty, not 'soon'$",
        ),
        (f"{HEADER}{ID},{AT},stand\n", r"^x\.json: line 2: expected 6 columns, found 3$"),
        (
            f"{HEADER}{ID},2026-11-21T09:30:00,stand,started,,\n",
            r"^x\.json: line 2: 'at' has no time zone",
        ),
        (
            f"{HEADER}{ID},{AT},stand,started,inf,\n",
            r"line 2: 'duration_s' must be a non-negative number",
        ),
        (f'{HEADER}{ID},{AT},stand,started,,"abc\n', r"^x\.json: line \d+: bad CSV: "),
    ],
)
def test_malformed_input_gives_one_line_naming_the_record(text, expected):
    with pytest.raises(ImportFormatError, match=expected) as info:
        parse_events(text, where="x.json")
    assert "\n" not in str(info.value)


def test_a_lone_surrogate_in_the_detail_is_refused():
    with pytest.raises(ImportFormatError, match="'detail' holds characters"):
        event_from_dict(good(detail="\ud800"))


def test_an_imported_event_keeps_its_id_so_merging_twice_adds_nothing():
    e = Event(str(uuid.uuid4()), T0, BreakKind.STAND, Action.SKIPPED, None, "")
    assert parse_events(to_json([e]))[0].id == e.id
    assert parse_events(to_csv([e]))[0].id == e.id
