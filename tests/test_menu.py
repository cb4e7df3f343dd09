"""The tray menu model in every mode, and its translation to a real pystray menu."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from posturebreak.core.commands import (
    FinishBreak,
    PauseFor,
    PauseUntilTomorrow,
    Resume,
    Skip,
    Snooze,
    StartBreak,
    TakeBreak,
)
from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.settings import Settings
from posturebreak.frontends.desktop.menu import (
    AppAction,
    MenuItem,
    Separator,
    Submenu,
    break_durations,
    build_menu,
    to_pystray,
)

NOW = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
DURATIONS = {
    BreakKind.STAND: timedelta(minutes=1),
    BreakKind.STRETCH: timedelta(minutes=3),
    BreakKind.WALK: timedelta(minutes=7),
}
SNOOZES = (timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15))


@pytest.fixture(autouse=True)
def _own_home(monkeypatch, tmp_path):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))


def view_for(mode, **changes):
    """A realistic status for ``mode``: the fields the policy would fill in."""
    from posturebreak.core.effects import StatusView

    base = StatusView(
        mode=mode,
        now=NOW,
        next_kind=BreakKind.WALK,
        next_at=NOW + timedelta(minutes=12),
        ring=0.4,
        snooze_choices=SNOOZES,
        snoozes_left=2,
        taken_today=3,
        prompted_today=5,
    )
    if mode in (Mode.PROMPTING, Mode.ON_BREAK, Mode.SNOOZED, Mode.DEFERRED):
        base = replace(base, active_kind=BreakKind.STRETCH, active_duration=timedelta(minutes=3))
    if mode is Mode.PAUSED:
        base = replace(base, paused_until=NOW + timedelta(hours=1), ring=None)
    if mode is Mode.OFF_HOURS:
        base = replace(base, ring=None, next_at=NOW + timedelta(hours=15))
    return replace(base, **changes)


def menu_for(mode, autostart=False, durations=None, **changes):
    return build_menu(
        view_for(mode, **changes), autostart, DURATIONS if durations is None else durations
    )


def entry(entries, label):
    matches = [e for e in entries if not isinstance(e, Separator) and e.label == label]
    assert len(matches) == 1, f"{label!r} not found once in {labels(entries)}"
    return matches[0]


def labels(entries):
    return [("---" if isinstance(e, Separator) else e.label) for e in entries]


def walk(entries):
    for e in entries:
        yield e
        if isinstance(e, Submenu):
            yield from walk(e.items)


# What a person can do in each mode: (take a break, snooze, skip, pause, resume).
# Only an open prompt can be snoozed (the policy refuses anything else).
LIVE = {
    Mode.WORKING: (True, False, True, True, False),
    Mode.NOTICE: (True, False, True, True, False),
    Mode.PROMPTING: (True, True, True, True, False),
    Mode.ON_BREAK: (False, False, False, True, False),
    Mode.SNOOZED: (True, False, True, True, False),
    Mode.PAUSED: (True, False, False, True, True),
    Mode.OFF_HOURS: (True, False, False, False, False),
    Mode.AWAY: (True, False, True, True, False),
    Mode.DEFERRED: (True, False, True, True, False),
}


def test_every_mode_is_covered():
    assert set(LIVE) == set(Mode)


@pytest.mark.parametrize("mode", list(Mode))
def test_items_live_and_greyed_out_in_each_mode(mode):
    entries = menu_for(mode)
    skip_label = "Skip this break" if mode is Mode.PROMPTING else "Skip next"
    actual = tuple(
        entry(entries, label).enabled
        for label in ("Take a break now", "Snooze", skip_label, "Pause", "Resume")
    )
    assert actual == LIVE[mode]


@pytest.mark.parametrize("mode", list(Mode))
def test_headline_comes_first_greyed_out_then_the_fixed_tail(mode):
    view = view_for(mode)
    entries = build_menu(view, autostart=False, durations=DURATIONS)
    head = entries[0]
    assert head == MenuItem(view.headline(), None, enabled=False)
    assert isinstance(entries[1], Separator)
    assert labels(entries)[-7:] == [
        "---",
        "Today: 3 of 5 breaks taken",
        "My week\N{HORIZONTAL ELLIPSIS}",
        "Settings\N{HORIZONTAL ELLIPSIS}",
        "Start at login",
        "---",
        "Quit",
    ]
    assert not entry(entries, "Today: 3 of 5 breaks taken").enabled
    for label, action in [
        ("My week\N{HORIZONTAL ELLIPSIS}", AppAction.SHOW_WEEK),
        ("Settings\N{HORIZONTAL ELLIPSIS}", AppAction.OPEN_SETTINGS),
        ("Start at login", AppAction.TOGGLE_AUTOSTART),
        ("Quit", AppAction.QUIT),
    ]:
        item = entry(entries, label)
        assert item.action == action
        assert item.enabled, f"{label} must work in {mode}"


def test_headline_reads_like_the_tooltip():
    assert menu_for(Mode.WORKING)[0].label == "Walk in 12 min"
    assert menu_for(Mode.PROMPTING)[0].label == "Time to stretch"


@pytest.mark.parametrize("mode", list(Mode))
def test_only_an_open_prompt_makes_a_default_item(mode):
    defaults = [e for e in walk(menu_for(mode)) if isinstance(e, MenuItem) and e.default]
    if mode is Mode.PROMPTING:
        assert defaults == [MenuItem("Start stretch break", StartBreak(), default=True)]
    else:
        assert defaults == []


def test_start_is_the_first_thing_to_click_when_a_break_is_due():
    entries = menu_for(Mode.PROMPTING)
    assert labels(entries)[:4] == [
        "Time to stretch",
        "---",
        "Start stretch break",
        "Take a break now",
    ]
    assert entry(entries, "Skip this break").action == Skip()


def test_a_running_break_can_be_ended_from_the_tray():
    entries = menu_for(Mode.ON_BREAK)
    assert labels(entries)[2] == "End break now"
    assert entry(entries, "End break now").action == FinishBreak(completed=False)
    for mode in set(Mode) - {Mode.ON_BREAK}:
        assert "End break now" not in labels(menu_for(mode))


def test_take_a_break_lists_enabled_kinds_smallest_first_with_their_length():
    durations = {BreakKind.WALK: timedelta(minutes=7), BreakKind.STAND: timedelta(seconds=90)}
    take = entry(menu_for(Mode.WORKING, durations=durations), "Take a break now")
    assert [(i.label, i.action) for i in take.items] == [
        ("Stand (2 min)", TakeBreak(BreakKind.STAND)),
        ("Walk (7 min)", TakeBreak(BreakKind.WALK)),
    ]
    full = entry(menu_for(Mode.WORKING), "Take a break now")
    assert [i.label for i in full.items] == ["Stand (1 min)", "Stretch (3 min)", "Walk (7 min)"]


def test_take_a_break_with_every_kind_disabled_is_greyed_out_but_visible():
    take = entry(menu_for(Mode.WORKING, durations={}), "Take a break now")
    assert not take.enabled
    assert [(i.label, i.enabled) for i in take.items] == [("No break kinds enabled", False)]


def test_snooze_offers_each_configured_length():
    snooze = entry(menu_for(Mode.PROMPTING), "Snooze")
    assert [(i.label, i.action) for i in snooze.items] == [
        ("5 min", Snooze(timedelta(minutes=5))),
        ("10 min", Snooze(timedelta(minutes=10))),
        ("15 min", Snooze(timedelta(minutes=15))),
    ]
    odd = entry(menu_for(Mode.PROMPTING, snooze_choices=(timedelta(minutes=90),)), "Snooze")
    assert [i.label for i in odd.items] == ["1 h 30 min"]


def test_snooze_is_greyed_out_when_none_are_left():
    assert not entry(menu_for(Mode.PROMPTING, snoozes_left=0), "Snooze").enabled
    assert entry(menu_for(Mode.PROMPTING, snoozes_left=1), "Snooze").enabled


@pytest.mark.parametrize("mode", sorted(set(Mode) - {Mode.PROMPTING}, key=lambda m: m.value))
def test_snooze_outside_a_prompt_says_no_break_is_due_not_no_snoozes_left(mode):
    snooze = entry(menu_for(mode, snoozes_left=0, snooze_choices=()), "Snooze")
    assert not snooze.enabled
    assert [(i.label, i.enabled) for i in snooze.items] == [("No break is due", False)]


def test_snooze_without_choices_stays_visible_and_says_why():
    snooze = entry(menu_for(Mode.PROMPTING, snooze_choices=()), "Snooze")
    assert not snooze.enabled
    assert [(i.label, i.action, i.enabled) for i in snooze.items] == [
        ("No snoozes left", None, False)
    ]


def test_pause_offers_lengths_that_always_end():
    pause = entry(menu_for(Mode.WORKING), "Pause")
    assert [(i.label, i.action) for i in pause.items] == [
        ("30 min", PauseFor(timedelta(minutes=30))),
        ("1 hour", PauseFor(timedelta(hours=1))),
        ("Until tomorrow", PauseUntilTomorrow()),
    ]


def test_resume_only_when_paused():
    assert entry(menu_for(Mode.PAUSED), "Resume") == MenuItem("Resume", Resume(), enabled=True)
    assert menu_for(Mode.PAUSED)[0].label.startswith("Paused until ")
    for mode in set(Mode) - {Mode.PAUSED}:
        assert not entry(menu_for(mode), "Resume").enabled


@pytest.mark.parametrize(
    ("taken", "prompted", "line"),
    [
        (3, 5, "Today: 3 of 5 breaks taken"),
        (0, 4, "Today: 0 of 4 breaks taken"),
        (1, 1, "Today: 1 of 1 break taken"),
        (0, 0, "Today: no breaks yet"),
        (4, 2, "Today: 4 breaks taken"),
        (1, 0, "Today: 1 break taken"),
    ],
)
def test_today_line_counts_breaks(taken, prompted, line):
    entries = menu_for(Mode.WORKING, taken_today=taken, prompted_today=prompted)
    assert entry(entries, line).enabled is False


@pytest.mark.parametrize("autostart", [True, False])
def test_start_at_login_checkbox_shows_the_current_setting(autostart):
    item = entry(menu_for(Mode.WORKING, autostart=autostart), "Start at login")
    assert item.checked is autostart


def test_only_the_login_item_is_a_checkbox():
    checkboxes = [
        e.label
        for e in walk(menu_for(Mode.WORKING))
        if isinstance(e, MenuItem) and e.checked is not None
    ]
    assert checkboxes == ["Start at login"]


def test_break_durations_follow_the_settings():
    settings = Settings()
    assert break_durations(settings) == {
        BreakKind.STAND: timedelta(minutes=1),
        BreakKind.STRETCH: timedelta(minutes=3),
        BreakKind.WALK: timedelta(minutes=5),
    }
    without_stretch = replace(
        settings,
        breaks={
            **settings.breaks,
            BreakKind.STRETCH: replace(settings.breaks[BreakKind.STRETCH], enabled=False),
        },
    )
    take = entry(
        build_menu(
            view_for(Mode.WORKING), autostart=False, durations=break_durations(without_stretch)
        ),
        "Take a break now",
    )
    assert [i.label for i in take.items] == ["Stand (1 min)", "Walk (5 min)"]


def test_the_menu_offers_the_walk_the_walking_plan_sets_for_today():
    durations = break_durations(Settings(), walk_target=timedelta(minutes=7))
    take = entry(
        build_menu(view_for(Mode.WORKING), autostart=False, durations=durations), "Take a break now"
    )
    assert [i.label for i in take.items] == ["Stand (1 min)", "Stretch (3 min)", "Walk (7 min)"]


# --- pystray ------------------------------------------------------------------------------


@pytest.fixture
def dummy_pystray(monkeypatch):
    """pystray on its display-less backend, removed again so other tests get a fresh import."""
    saved = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] == "pystray"}
    for name in saved:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    import pystray

    yield pystray
    for name in [n for n in sys.modules if n.split(".")[0] == "pystray"]:
        del sys.modules[name]
    sys.modules.update(saved)


def shape(menu, pystray):
    out = []
    for item in menu.items:
        if item is pystray.Menu.SEPARATOR:
            out.append("---")
        elif item.submenu is not None:
            out.append((item.text, item.enabled, shape(item.submenu, pystray)))
        else:
            out.append((item.text, item.enabled, item.checked, item.default))
    return out


def model_shape(entries):
    out = []
    for e in entries:
        if isinstance(e, Separator):
            out.append("---")
        elif isinstance(e, Submenu):
            out.append((e.label, e.enabled, model_shape(e.items)))
        else:
            out.append((e.label, e.enabled, e.checked, e.default))
    return out


@pytest.mark.parametrize("mode", list(Mode))
def test_pystray_menu_mirrors_the_model(dummy_pystray, mode):
    entries = menu_for(mode, autostart=True)
    menu = to_pystray(entries, lambda _action: None)
    assert isinstance(menu, dummy_pystray.Menu)
    assert shape(menu, dummy_pystray) == model_shape(entries)


def test_clicking_pystray_items_dispatches_their_actions(dummy_pystray):
    clicked = []
    entries = menu_for(Mode.PROMPTING)
    menu = to_pystray(entries, clicked.append)
    by_label = {item.text: item for item in menu.items if item is not dummy_pystray.Menu.SEPARATOR}

    by_label["Quit"](None)
    by_label["Skip this break"](None)
    snooze = {i.text: i for i in by_label["Snooze"].submenu.items}
    snooze["10 min"](None)
    by_label["Time to stretch"](None)  # the headline does nothing
    menu(None)  # what a left click does on gtk: the default item
    assert clicked == [AppAction.QUIT, Skip(), Snooze(timedelta(minutes=10)), StartBreak()]


def test_left_click_does_nothing_without_an_open_prompt(dummy_pystray):
    clicked = []
    to_pystray(menu_for(Mode.WORKING), clicked.append)(None)
    assert clicked == []
