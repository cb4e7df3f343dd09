"""``python -m posturebreak`` is the same as the ``posturebreak`` command."""

from posturebreak.cli import main_entry

main_entry()
