"""``python -m posturebreak`` is the same as the ``posturebreak`` command."""

from posturebreak.cli.main import main_entry

main_entry()
