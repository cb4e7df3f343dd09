"""The command line's parser pieces: one-line usage errors, argument types, output paths.

Standard library only and cheap to import: ``posturebreak run`` builds the parser too, and the
parser is freed before the app starts (see ``cli._parse``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

# The metavar of the subcommand argument; an ArgumentError naming it is an unknown command.
COMMAND = "COMMAND"


class UserError(Exception):
    """A mistake the user can fix; ``code`` is the exit status (2: bad input, 1: not now)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _one_line(text: str) -> str:
    return " ".join(text.split())


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line and exit 2, not a usage dump.

    Every error becomes ``UserError("COMMAND: what is wrong; what is expected")``, which
    ``cli.main`` prints as ``posturebreak: ...``. Subparsers are built with this class too
    (``add_subparsers`` uses the parent's class), each told its ``command`` name. ``--help``
    is argparse's own.
    """

    def __init__(
        self, prog: str | None = None, description: str | None = None, *, command: str = ""
    ) -> None:
        # exit_on_error=False: argparse raises its ArgumentError (which names the argument)
        # instead of flattening it into the usage dump; parse_known_args turns it into a line.
        super().__init__(prog=prog, description=description, exit_on_error=False)
        self.command = command

    def parse_known_args(  # type: ignore[override]  # one signature for argparse's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse ``args``; a usage error raises ``UserError`` (a subcommand refuses extras)."""
        words = sys.argv[1:] if args is None else list(args)
        try:
            ns, extras = super().parse_known_args(words, namespace)
        except argparse.ArgumentError as err:
            raise UserError(self._explain(err, words)) from None
        if extras and self.command:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns, extras

    def error(self, message: str) -> NoReturn:
        """The errors argparse reports as text (missing or unknown arguments), as one line."""
        raise UserError(f"{self._where()}{message}; {_one_line(self.format_usage())}")

    def _where(self) -> str:
        return f"{self.command}: " if self.command else ""

    def _explain(self, err: argparse.ArgumentError, words: list[str]) -> str:
        if not self.command and err.argument_name == COMMAND:
            word = next((w for w in words if not w.startswith("-")), "")
            return f"{word!r} is not a command; expected one of {', '.join(self._commands())}"
        name = err.argument_name or ""
        said = f"{name}: {err.message}" if name.startswith("-") else err.message
        # Our argument types (one_of, iso_date) say what is expected; argparse's own messages
        # ("expected one argument", "not allowed with ...") get the usage line instead.
        if isinstance(err.__context__, argparse.ArgumentTypeError):
            return f"{self._where()}{said}"
        return f"{self._where()}{said}; {_one_line(self.format_usage())}"

    def _commands(self) -> list[str]:
        """The subcommands' names, without their aliases."""
        names: dict[int, str] = {}
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):  # the only way to list them
                for name, parser in action.choices.items():
                    names.setdefault(id(parser), name)
        return list(names.values())


def one_of(noun: str, options: Sequence[str]) -> Callable[[str], str]:
    """An argument type accepting ``options`` only: "'sit' is not a break kind; expected ..."."""

    def check(text: str) -> str:
        if text not in options:
            *rest, last = options
            expected = f"{', '.join(rest)} or {last}" if rest else last
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}; expected {expected}")
        return text

    check.__name__ = noun.replace(" ", "_")
    return check


def iso_date(text: str) -> date:
    """An argument type for dates written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-23"
        ) from None


def check_out_path(path: Path) -> None:
    """Refuse an output file whose folder does not exist or is not a folder (creates nothing).

    ``report --out`` and ``export --out`` share it: a typo in a folder name should be an
    error, not a new folder tree somewhere unexpected.
    """
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a folder; give a file name in it")
    folder = path.parent
    if folder.is_dir():
        return
    nearest = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if nearest is not None and not nearest.is_dir():
        raise UserError(f"cannot write {path}: {nearest} is a file, not a folder")
    raise UserError(f"cannot write {path}: the folder {folder} does not exist; create it first")


class ShowVersion(argparse.Action):
    """``--version``: "posturebreak X.Y.Z" from the installed package, then exit 0."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version"
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        _namespace: argparse.Namespace,
        _values: str | Sequence[object] | None,
        _option_string: str | None = None,
    ) -> None:
        """Print the version and end the parse (argparse's own ``version`` action does too)."""
        from posturebreak.control.protocol import package_version  # only when asked

        print(f"posturebreak {package_version()}")
        parser.exit()
