"""The setup subcommands: ``config path|dirs|check|edit`` and ``autostart on|off|status``."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from posturebreak import paths
from posturebreak.cli.args import UserError


def cmd_config(ns: argparse.Namespace) -> int:
    """Config file: path, dirs, check, edit."""
    actions = {"path": _path, "dirs": _dirs, "check": _check, "edit": _edit}
    return actions[ns.action](paths.resolve())


def _path(where: paths.Paths) -> int:
    print(where.config_file)
    return 0


def _dirs(where: paths.Paths) -> int:
    # Every directory that holds our files, one per line, for the README's purge line.
    seen = dict.fromkeys([where.config_file.parent, where.data_dir, where.runtime_dir])
    print("\n".join(str(d) for d in seen))
    return 0


def _check(where: paths.Paths) -> int:
    p = where.config_file
    if not p.exists():
        print(f"{p} does not exist yet; the defaults are in use (it is created on first run).")
        return 0
    from posturebreak import config  # only this command reads the settings here

    config.load_settings(p)  # a ConfigError is one line and exit 2 (cli.main)
    print(f"{p} is valid.")
    return 0


def _edit(where: paths.Paths) -> int:
    from posturebreak.cli.common import settings

    p = where.config_file
    settings()  # creates the file on first use
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        argv = [*shlex.split(editor), str(p)]
    elif sys.platform == "darwin":
        argv = ["open", "-t", str(p)]
    elif sys.platform == "win32":
        argv = ["notepad", str(p)]
    else:
        argv = ["xdg-open", str(p)]
    try:
        return subprocess.call(argv)
    except OSError:
        raise UserError(
            f"could not start an editor ({argv[0]}); set $EDITOR or open {p}", 1
        ) from None


def cmd_autostart(ns: argparse.Namespace) -> int:
    """Start posturebreak at login: on, off, status."""
    from posturebreak.frontends.desktop import autostart

    try:
        entry = {"on": autostart.enable, "off": autostart.disable, "status": autostart.status}[
            ns.action
        ]()
    except autostart.AutostartError as exc:
        raise UserError(str(exc), code=1) from None
    print(entry.describe())
    return 0
