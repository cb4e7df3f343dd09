"""Names vulture cannot see used (`make lint` runs vulture on posturebreak with this file).

Each line is a use vulture understands; the comment says who really uses the name.
"""
# ruff: noqa: B018  (bare expressions are how vulture whitelists are written)

_ = object()

# Read by the tests only: state the product keeps for its own checks and diagnostics.
_.held  # InstanceLock.held: tests/test_control.py
_.active_duration  # StatusView field, filled by the policy: tests/test_policy.py
_.areas  # ExerciseLibrary.areas: tests/test_exercises.py (every body area has cards)
_.to_buckets  # insight.to_buckets, the Python twin of the SQL buckets: tests compare them
_.run_pending  # Engine.run_pending: step-by-step driving in tests/test_faults.py and others
_.has_window  # DesktopFrontEnd.has_window: tests/test_frontend.py
_.probe_name  # Presence.probe_name: tests/test_dbus_presence.py
_.samples  # PresenceWatcher.samples: tests/test_presence.py counts the wake-ups
_.parse_events  # eventio.parse_events, a whole text at once: tests/test_eventio.py
_.memory  # EventStore.memory, an in-memory log: the store tests

# Filled by name: stats.py counts actions into the fields named like them.
_.ended_early
_.deferred

# Enum members chosen by their value from the config ([tray] backend = "gtk").
_.APPINDICATOR
_.GTK
_.XORG

# Read by toolkits, not by us: pystray's icon attributes and ctypes structure fields.
_.visible
_._running
_._assert_icon_data
_.tostring
_.cbSize
