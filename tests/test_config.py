"""The config file: defaults, every key, every mistake a person can make, and file handling."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import time, timedelta
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posturebreak.config import (
    ConfigError,
    default_config_text,
    load_or_create,
    load_settings,
    parse_duration,
    parse_settings,
    settings_to_text,
)
from posturebreak.core.domain import BreakKind
from posturebreak.core.settings import (
    WEEKDAYS,
    BreakRule,
    DndSettings,
    GoalSettings,
    IdleProbeName,
    IdleSettings,
    PromptSettings,
    Schedule,
    Settings,
    TimeRange,
    TrayBackend,
    TraySettings,
    WalkingPlan,
)
from tests import asuser

CONFIG = Path("/home/ada/.config/posturebreak/config.toml")


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))


def error_for(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, CONFIG)
    return caught.value


def m(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


# --- defaults -------------------------------------------------------------------------------------


def test_default_file_parses_to_the_default_settings():
    assert parse_settings(default_config_text()) == Settings()
    assert default_config_text() == settings_to_text(Settings())


def test_empty_file_means_all_defaults():
    assert parse_settings("") == Settings()
    assert parse_settings("# nothing set yet\n\n") == Settings()


ALL_KEYS = {
    "schedule": {"workdays", "hours"},
    "breaks.stand": {"enabled", "every", "duration"},
    "breaks.stretch": {"enabled", "every", "duration"},
    "breaks.walk": {"enabled", "every", "duration"},
    "prompt": {"snooze", "max_snoozes", "timeout", "notice", "sound"},
    "idle": {"probe", "away_after"},
    "do_not_disturb": {"fullscreen", "meetings", "apps", "max_delay"},
    "goal": {"daily_minutes"},
    "walking_plan": {"enabled", "step", "cap", "grow_at", "ease_below"},
    "tray": {"backend"},
}


def test_default_file_has_every_key_each_under_a_comment():
    lines = default_config_text().splitlines()
    found: dict[str, set[str]] = {}
    section = ""
    for number, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[]")
            found[section] = set()
        elif " = " in line:
            found[section].add(line.split(" = ")[0])
            comment = lines[number - 1]
            assert comment.startswith("# "), f"no comment above {line!r}"
            assert len(comment) > 12, f"no real comment above {line!r}"
    assert found == ALL_KEYS


# --- every key ------------------------------------------------------------------------------------

EVERY_KEY = """
[schedule]
workdays = ["Sat", "sun", "mon"]
hours = ["14:00-18:00", "08:15-12:00"]

[breaks.stand]
enabled = false
every = "20m"
duration = "90s"

[breaks.stretch]
every = "45m"
duration = "2m"

[breaks.walk]
enabled = true
every = "1h30m"
duration = "10m"

[prompt]
snooze = ["2m", "1h"]
max_snoozes = 0
timeout = "2m"
notice = "0s"
sound = false

[idle]
probe = "x11"
away_after = "4m"

[do_not_disturb]
fullscreen = false
meetings = false
apps = ["zoom", "OBS Studio"]
max_delay = "45m"

[goal]
daily_minutes = 240

[walking_plan]
enabled = false
step = "30s"
cap = "20m"
grow_at = 1
ease_below = 0.25

[tray]
backend = "xorg"
"""


def test_every_key_is_read():
    expected = Settings(
        schedule=Schedule(
            workdays=frozenset({5, 6, 0}),
            hours=(TimeRange(time(8, 15), time(12)), TimeRange(time(14), time(18))),
        ),
        breaks=MappingProxyType(
            {
                BreakKind.STAND: BreakRule(
                    BreakKind.STAND, m(20), timedelta(seconds=90), enabled=False
                ),
                BreakKind.STRETCH: BreakRule(BreakKind.STRETCH, m(45), m(2)),
                BreakKind.WALK: BreakRule(BreakKind.WALK, m(90), m(10)),
            }
        ),
        prompt=PromptSettings(
            snooze=(m(2), m(60)), max_snoozes=0, timeout=m(2), notice=m(0), sound=False
        ),
        idle=IdleSettings(IdleProbeName.X11, m(4)),
        dnd=DndSettings(
            fullscreen=False, meetings=False, apps=("zoom", "OBS Studio"), max_delay=m(45)
        ),
        goal=GoalSettings(240),
        walking_plan=WalkingPlan(
            enabled=False, step=timedelta(seconds=30), cap=m(20), grow_at=1.0, ease_below=0.25
        ),
        tray=TraySettings(TrayBackend.XORG),
    )
    assert parse_settings(EVERY_KEY) == expected
    assert parse_settings(settings_to_text(expected)) == expected


def test_a_file_with_one_key_keeps_every_other_default():
    got = parse_settings('[breaks.walk]\nevery = "45m"\n')
    assert got.rule(BreakKind.WALK) == BreakRule(BreakKind.WALK, m(45), m(5))
    assert got.rule(BreakKind.STAND) == Settings().rule(BreakKind.STAND)
    assert got.prompt == PromptSettings()
    assert got.schedule == Schedule()


def test_seconds_long_timers_are_allowed_for_trying_it_out():
    got = parse_settings('[breaks.stand]\nevery = "10s"\nduration = "5s"\n')
    assert got.rule(BreakKind.STAND).every == timedelta(seconds=10)


def test_two_kinds_may_be_disabled():
    text = "[breaks.stand]\nenabled = false\n[breaks.walk]\nenabled = false\n"
    assert [r.kind for r in parse_settings(text).enabled_rules()] == [BreakKind.STRETCH]


def test_adjacent_working_ranges_do_not_overlap():
    got = parse_settings('[schedule]\nhours = ["13:00-17:00", "09:00-13:00"]\n')
    assert [str(r) for r in got.schedule.hours] == ["09:00-13:00", "13:00-17:00"]


def test_all_day_ends_at_24_00_and_a_night_runs_past_midnight():
    got = parse_settings('[schedule]\nhours = ["00:00-24:00"]\n').schedule.hours
    assert got == (TimeRange(time(0), time(0)),)
    assert got[0].length == timedelta(hours=24)
    assert str(got[0]) == "00:00-24:00"
    night = parse_settings('[schedule]\nhours = ["06:00-08:00", "22:00-06:00"]\n').schedule
    assert [str(r) for r in night.hours] == ["06:00-08:00", "22:00-06:00"]
    assert [str(r) for r in night.nights] == ["22:00-06:00"]
    assert night.nights[0].length == timedelta(hours=8)
    evening = parse_settings('[schedule]\nhours = ["18:00-24:00", "00:00-02:00"]\n').schedule
    assert [str(r) for r in evening.hours] == ["00:00-02:00", "18:00-24:00"]
    assert evening.nights == ()  # 24:00 ends the day; it does not run into the next one


def test_a_range_that_is_no_range_is_refused_when_built_in_code():
    with pytest.raises(ValueError, match="00:00-24:00"):
        TimeRange(time(10), time(10))


def test_a_byte_order_mark_from_a_windows_editor_is_accepted(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[goal]\ndaily_minutes = 60\n")
    assert load_settings(path).goal.daily_minutes == 60


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("2h", 7200),
        ("0s", 0),
        ("1h 5m 3s", 3903),
        ("45M", 2700),
        (" 10m ", 600),
    ],
)
def test_parse_duration_reads_hours_minutes_seconds(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text", ["", "5", "m", "-5m", "5x", "1.5h", "5m1h", "1d", "5 minutes", "999999999h", "\u0665m"]
)
def test_parse_duration_refuses_anything_else(text):
    with pytest.raises(ValueError, match=r"duration|negative|too long"):
        parse_duration(text)


# --- mistakes -------------------------------------------------------------------------------------

# (file text, the key the message must name, the value it must show, a word of what is expected)
BAD = [
    ('[breaks.walk]\nevery = "2x"', "[breaks.walk] every", "'2x'", "duration like 90s"),
    ('[breaks.walk]\nevery = "-5m"', "[breaks.walk] every", "'-5m'", "negative"),
    ('[prompt]\ntimeout = "9999h"', "[prompt] timeout", "'9999h'", "at most 7 days"),
    ('[breaks.stand]\nevery = "0s"', "[breaks.stand] every", "'0s'", "longer than 0s"),
    ('[breaks.stand]\nduration = "0s"', "[breaks.stand] duration", "'0s'", "longer than 0s"),
    ('[breaks.stand]\nduration = "30m"', "[breaks.stand] duration", "'30m'", "shorter than every"),
    ('[breaks.walk]\nevery = "4m"', "[breaks.walk] every", "'4m'", "longer than the break"),
    ("[breaks.stand]\nevery = 30", "[breaks.stand] every", "30", 'in quotes, e.g. "30m"'),
    ('[breaks.stand]\nenabled = "yes"', "[breaks.stand] enabled", "'yes'", "true or false"),
    ("[prompt]\nsnooze = []", "[prompt] snooze", "[]", "1 to 5"),
    ('[prompt]\nsnooze = ["1m","2m","3m","4m","5m","6m"]', "[prompt] snooze", "'6m'", "1 to 5"),
    ('[prompt]\nsnooze = ["5m", "0s"]', "[prompt] snooze", "'0s'", "item 2"),
    ('[prompt]\nsnooze = "5m"', "[prompt] snooze", "'5m'", "list"),
    ("[prompt]\nmax_snoozes = 21", "[prompt] max_snoozes", "21", "0 to 20"),
    ("[prompt]\nmax_snoozes = true", "[prompt] max_snoozes", "True", "whole number"),
    ('[prompt]\nnotice = "-1s"', "[prompt] notice", "'-1s'", "negative"),
    ('[schedule]\nworkdays = ["mon", "fry"]', "[schedule] workdays", "'fry'", "mon, tue"),
    ("[schedule]\nworkdays = []", "[schedule] workdays", "[]", "1 to 7"),
    ('[schedule]\nhours = ["9-17"]', "[schedule] hours", "'9-17'", "09:00-12:30"),
    ('[schedule]\nhours = ["09:00-25:00"]', "[schedule] hours", "25:00", "24-hour"),
    ('[schedule]\nhours = ["10:00-10:00"]', "[schedule] hours", "10:00-10:00", '"00:00-24:00"'),
    ('[schedule]\nhours = ["00:00-00:00"]', "[schedule] hours", "00:00-00:00", "for all day"),
    ('[schedule]\nhours = ["09:00-24:30"]', "[schedule] hours", "24:30", "24-hour"),
    ('[schedule]\nhours = ["24:00-06:00"]', "[schedule] hours", "24:00-06:00", "24-hour"),
    ('[schedule]\nhours = ["09:00-12:00", "11:30-13:00"]', "[schedule] hours", "11:30", "overlap"),
    ('[schedule]\nhours = ["22:00-06:00", "05:00-07:00"]', "[schedule] hours", "05:00", "overlap"),
    ('[schedule]\nhours = ["22:00-06:00", "22:00-06:00"]', "[schedule] hours", "22:00", "overlap"),
    ('[schedule]\nhours = ["00:00-24:00", "12:00-13:00"]', "[schedule] hours", "24:00", "overlap"),
    ('[schedule]\nhours = ["23:00-01:00", "00:30-02:00"]', "[schedule] hours", "00:30", "overlap"),
    ("[schedule]\nhours = []", "[schedule] hours", "[]", "1 to 24"),
    ("[walking_plan]\ngrow_at = 1.5", "[walking_plan] grow_at", "1.5", "at most 1"),
    ("[walking_plan]\ngrow_at = 0", "[walking_plan] grow_at", "0", "greater than 0"),
    ("[walking_plan]\ngrow_at = nan", "[walking_plan] grow_at", "nan", "at most 1"),
    ("[walking_plan]\nease_below = 0.9", "[walking_plan] ease_below", "0.9", "below grow_at"),
    ("[walking_plan]\ngrow_at = 0.3", "[walking_plan] grow_at", "0.3", "above ease_below"),
    ('[walking_plan]\ncap = "2m"', "[walking_plan] cap", "'2m'", "walk's duration"),
    ('[breaks.walk]\nduration = "20m"', "[breaks.walk] duration", "'20m'", "cap"),
    ("[goal]\ndaily_minutes = 5", "[goal] daily_minutes", "5", "10 to 600"),
    ("[goal]\ndaily_minutes = 120.0", "[goal] daily_minutes", "120.0", "whole number"),
    ('[idle]\nprobe = "wayland"', "[idle] probe", "'wayland'", "auto, x11"),
    ('[idle]\naway_after = "0s"', "[idle] away_after", "'0s'", "longer than 0s"),
    ('[tray]\nbackend = "qt"', "[tray] backend", "'qt'", "appindicator"),
    ('[do_not_disturb]\napps = ["zoom", ""]', "[do_not_disturb] apps", "''", "non-empty"),
    ("[do_not_disturb]\napps = [1]", "[do_not_disturb] apps", "1", "string"),
    ('[do_not_disturb]\nmax_delay = "soon"', "[do_not_disturb] max_delay", "'soon'", "duration"),
    ("prompt = 3", "[prompt]", "3", "table"),
    ("[breaks]\nwalk = true", "[breaks] walk", "True", "table"),
    ("[schedule]\nhours = 09:00:00", "[schedule] hours", "datetime.time", "list"),
]


@pytest.mark.parametrize(("text", "key", "value", "expected"), BAD)
def test_a_bad_value_gives_one_line_naming_file_line_key_and_value(text, key, value, expected):
    err = error_for(text)
    message = str(err)
    assert "\n" not in message
    assert message.startswith(f"{CONFIG}:")
    assert key in message
    assert value in message
    assert expected in message
    assert err.path == CONFIG
    assert err.key == key
    # Every case above puts the offending key on its own line (the second, or the first).
    assert err.line == (2 if "\n" in text else 1)


def test_the_message_reads_like_a_sentence():
    assert str(error_for('[breaks.walk]\nevery = "2x"')) == (
        f"{CONFIG}:2: [breaks.walk] every = '2x': expected a duration like 90s, 5m or 1h30m"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[prompt]\nsnoze = 3", "unknown key [prompt] snoze — did you mean snooze?"),
        ("[promt]\nsnooze = []", "unknown section [promt] — did you mean prompt?"),
        ("[breaks.wlak]\nevery = '1h'", "unknown key [breaks] wlak — did you mean walk?"),
        ("[breaks.walk]\nevry = '1h'", "unknown key [breaks.walk] evry — did you mean every?"),
        ("[tray]\nzzz = 1", "unknown key [tray] zzz — expected one of: backend"),
    ],
)
def test_an_unknown_key_is_named_with_a_suggestion(text, message):
    err = error_for(text)
    assert err.unknown
    assert str(err).endswith(message)
    assert str(err).startswith(f"{CONFIG}:")


def test_all_three_kinds_disabled_is_an_error():
    text = "".join(f"[breaks.{k.value}]\nenabled = false\n" for k in BreakKind)
    err = error_for(text)
    assert str(err) == f"{CONFIG}:1: [breaks]: at least one break kind must be enabled"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[goal]\ndaily_minutes = 120\nsound = tru\n", 3),
        ("[prompt]\nsnooze = [\n", 3),
        ("[tray]\n[tray]\n", 2),
        ('[schedule]\nworkdays = ["mon"\nhours = []\n', 3),
    ],
)
def test_a_toml_syntax_error_names_its_line(text, line):
    err = error_for(text)
    assert err.line == line
    assert str(err).startswith(f"{CONFIG}:{line}: not valid TOML: ")
    assert "\n" not in str(err)


def test_deeply_nested_input_is_a_config_error_not_a_crash():
    err = error_for("a = " + "[" * 100_000)
    assert "\n" not in str(err)


def test_newlines_in_a_path_or_key_stay_escaped_on_one_line():
    with pytest.raises(ConfigError) as caught:
        parse_settings('["odd\\nsection"]\n', Path("/tmp/we\nird/config.toml"))
    message = str(caught.value)
    assert "\n" not in message
    assert "we\\nird" in message
    assert "odd\\nsection" in message


def test_a_huge_value_is_shortened_in_the_message():
    err = error_for(f'[idle]\nprobe = "{"x" * 5000}"')
    assert len(str(err)) < 300


# --- files ----------------------------------------------------------------------------------------


def load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    # Only the part after the path: tmp_path holds the test's name, which could match by itself.
    return message[len(str(path)) :]


def test_missing_file(tmp_path):
    assert "file not found" in load_error(tmp_path / "nope.toml")


def test_directory(tmp_path):
    assert "is a directory" in load_error(tmp_path)


def test_binary_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in load_error(path)


def test_file_in_another_encoding_names_the_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes('[do_not_disturb]\n# Café\napps = ["Über"]\n'.encode("latin-1"))
    assert load_error(path).startswith(":2: is not UTF-8 text")


def test_huge_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"# " + b"x" * 2_000_000 + b"\n")
    assert "too large" in load_error(path)


def test_fifo_is_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    assert "not a regular file" in load_error(path)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_file(pytestconfig):
    # As an ordinary user: root reads any file, so permissions cannot make it unreadable.
    user = asuser.subject(pytestconfig)
    with user.scratch() as home:
        path = home / "config.toml"
        path.write_text("", encoding="utf-8")
        user.own(path)
        path.chmod(0)
        message = user.error_from(
            ConfigError,
            "load_settings(Path(sys.argv[1]))",
            str(path),
            setup="from pathlib import Path\nfrom posturebreak.config import load_settings",
        )
    # What load_error checks, on the message the subject got.
    assert "\n" not in message
    assert message.startswith(str(path))
    assert "cannot read it" in message[len(str(path)) :]


def test_a_read_error_from_the_system_is_one_line():
    mem = Path("/proc/self/mem")
    if not mem.exists():
        pytest.skip("needs Linux /proc: a regular file whose read fails")
    assert "cannot read it" in load_error(mem)


def test_bad_value_in_a_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# mine\n[breaks.walk]\nevery = "2x"\n', encoding="utf-8")
    assert load_error(path).startswith(":3: [breaks.walk] every = '2x'")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_load_or_create_writes_a_private_default_file(tmp_path):
    path = tmp_path / "deep" / "posturebreak" / "config.toml"
    got, created = load_or_create(path)
    assert created
    assert got == Settings()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text(encoding="utf-8") == default_config_text()
    assert load_settings(path) == Settings()


def test_load_or_create_reads_an_existing_file_and_leaves_it_alone(tmp_path):
    path = tmp_path / "config.toml"
    mine = "[goal]\ndaily_minutes = 200\n"
    path.write_text(mine, encoding="utf-8")
    got, created = load_or_create(path)
    assert not created
    assert got.goal.daily_minutes == 200
    assert path.read_text(encoding="utf-8") == mine


def test_load_or_create_never_overwrites_a_broken_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[goal]\ndaily_minutes = lots\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml:2: not valid TOML"):
        load_or_create(path)
    assert path.read_text(encoding="utf-8") == "[goal]\ndaily_minutes = lots\n"


def test_load_or_create_reports_a_directory_it_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot create it") as caught:
        load_or_create(blocker / "posturebreak" / "config.toml")
    assert "\n" not in str(caught.value)


# --- fuzzing --------------------------------------------------------------------------------------


def parse_or_message(text: str) -> Settings | str:
    """The settings, or the error's message: anything else escaping fails the test."""
    try:
        return parse_settings(text, CONFIG)
    except ConfigError as err:
        return str(err)


@given(st.text(max_size=400))
def test_random_text_only_ever_raises_config_error(text):
    outcome = parse_or_message(text)
    assert isinstance(outcome, Settings) or "\n" not in outcome


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_config_error(tmp_path, data):
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    try:
        outcome: Settings | str = load_settings(path)
    except ConfigError as err:
        outcome = str(err)
    assert isinstance(outcome, Settings) or "\n" not in outcome


SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["0s", "5m", "1h", "30s", "-1m", "09:00-12:00", "auto", "mon", "x11"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=7))
KNOWN_KEYS = sorted({k for keys in ALL_KEYS.values() for k in keys} | {"snoze", "bogus"})


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@given(
    st.dictionaries(
        st.sampled_from([*ALL_KEYS, "breaks", "nonsense"]),
        st.dictionaries(st.sampled_from(KNOWN_KEYS), VALUES, max_size=5),
        max_size=6,
    )
)
def test_plausible_files_with_random_values_parse_or_fail_cleanly(doc):
    text = "".join(
        f"[{section}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
        for section, keys in doc.items()
    )
    got = parse_or_message(text)
    if isinstance(got, Settings):
        assert parse_settings(settings_to_text(got)) == got
    else:
        assert "\n" not in got


# --- round trip of any valid settings -------------------------------------------------------------

seconds = st.integers(min_value=1, max_value=7 * 24 * 3600).map(lambda s: timedelta(seconds=s))


@st.composite
def rules(draw: st.DrawFn, kind: BreakKind) -> BreakRule:
    every = draw(st.integers(min_value=2, max_value=24 * 3600))
    duration = draw(st.integers(min_value=1, max_value=every - 1))
    return BreakRule(
        kind, timedelta(seconds=every), timedelta(seconds=duration), draw(st.booleans())
    )


@st.composite
def daily_ranges(draw: st.DrawFn) -> tuple[TimeRange, ...]:
    """Non-overlapping ranges: some end at 24:00, and (rotated) the last may run past midnight."""
    if draw(st.integers(0, 9)) == 0:
        return (TimeRange(time(0), time(0)),)
    points = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=2, max_size=8, unique=True))
    points = sorted(points)[: len(points) // 2 * 2]
    if draw(st.booleans()):
        points = points[1:] + points[:1]  # pairs (p1, p2), ..., (p_last, p0): a night
    return tuple(
        TimeRange(time(*divmod(a, 60)), time(*divmod(b, 60)))
        for a, b in zip(points[::2], points[1::2], strict=True)
    )


@st.composite
def valid_settings(draw: st.DrawFn) -> Settings:
    hours = draw(daily_ranges())
    breaks = {k: draw(rules(k)) for k in BreakKind}
    if not any(r.enabled for r in breaks.values()):
        breaks[BreakKind.STAND] = BreakRule(BreakKind.STAND, m(30), m(1))
    grow_at = draw(st.floats(min_value=0, max_value=1, exclude_min=True))
    walk = breaks[BreakKind.WALK].duration
    return Settings(
        schedule=Schedule(
            frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
            hours,
        ),
        breaks=MappingProxyType(breaks),
        prompt=PromptSettings(
            snooze=tuple(draw(st.lists(seconds, min_size=1, max_size=5))),
            max_snoozes=draw(st.integers(0, 20)),
            timeout=draw(seconds),
            notice=draw(seconds | st.just(timedelta(0))),
            sound=draw(st.booleans()),
        ),
        idle=IdleSettings(draw(st.sampled_from(IdleProbeName)), draw(seconds)),
        dnd=DndSettings(
            fullscreen=draw(st.booleans()),
            meetings=draw(st.booleans()),
            apps=tuple(draw(st.lists(st.text(min_size=1).filter(str.strip), max_size=4))),
            max_delay=draw(seconds | st.just(timedelta(0))),
        ),
        goal=GoalSettings(draw(st.integers(10, 600))),
        walking_plan=WalkingPlan(
            enabled=True,
            step=draw(seconds),
            cap=walk + draw(st.integers(0, 3600).map(lambda s: timedelta(seconds=s))),
            grow_at=grow_at,
            ease_below=draw(st.floats(min_value=0, max_value=grow_at, exclude_max=True)),
        ),
        tray=TraySettings(draw(st.sampled_from(TrayBackend))),
    )


@given(valid_settings())
def test_any_valid_settings_survive_a_round_trip_through_the_file(s):
    assert parse_settings(settings_to_text(s)) == s


def test_weekday_names_are_the_ones_the_file_uses():
    text = settings_to_text(Settings(schedule=Schedule(workdays=frozenset(range(7)))))
    assert f"workdays = {json.dumps(list(WEEKDAYS))}" in text
