"""The ``posturebreak`` command: the parser and one module per group of subcommands."""
