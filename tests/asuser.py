"""Run a test's subject as an ordinary user, so that file permissions mean what they say.

Root reads and writes through any mode bits, and CI runs the suite as root. A test about an
unreadable or read-only file therefore runs the code it checks (a short ``python -c`` snippet,
or the installed app) as ``nobody`` when the suite runs as root, and directly otherwise.

``nobody`` cannot run the project's interpreter when it lives in a private directory (``/root``
is 0700, and pyenv builds live there). So under root the subject gets a venv of its own: made
from the system's ``/usr/bin/python3`` in a world-readable directory under ``/tmp``, with a
copy of this source tree installed into it (a copy, so the build leaves nothing in the
checkout), built once per session on first use and removed at the session's end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
USER = "nobody"
SYSTEM_PYTHON = Path("/usr/bin/python3")

# Never copied for the build: version control, virtual environments, caches, build output.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)

# Runs ``setup``, then ``action``, which must raise ``expected``; prints the exception's text.
_RAISES = """\
import sys
from {module} import {name} as expected
{setup}
try:
{action}
except expected as error:
    sys.stdout.write(str(error))
else:
    sys.exit("raised nothing")
"""


@dataclass(frozen=True)
class Subject:
    """Who runs the code under test, and with which interpreter.

    ``uid``/``gid`` are ``None`` when that is simply the user running the suite.
    """

    python: Path
    uid: int | None = None
    gid: int | None = None

    @property
    def app(self) -> Path:
        """The ``posturebreak`` console script installed next to ``python``."""
        return self.python.with_name("posturebreak")

    def own(self, path: Path) -> None:
        """Give ``path`` to the subject, as if the subject had created it."""
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A fresh 0700 directory of the subject's own under ``/tmp``; removed afterwards.

        Not pytest's ``tmp_path``: that lives under a directory only the suite's user can
        enter. It holds ``run``, a 0700 directory for ``XDG_RUNTIME_DIR`` (see ``env``).
        """
        home = Path(tempfile.mkdtemp(prefix="posturebreak-as-user-", dir="/tmp"))
        try:
            (home / "run").mkdir(mode=0o700)
            self.own(home / "run")
            self.own(home)
            yield home
        finally:
            _remove(home)

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """A minimal environment living in ``home`` (from ``scratch``), plus ``extra``.

        Nothing of the suite's own environment: its HOME, runtime directory and session bus
        belong to another user, and its PYTHON* variables point into the suite's venv.
        """
        return {
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            **extra,
        }

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` as the subject, in ``env['HOME']``, with stdin at its end at once."""
        return subprocess.run(
            argv,
            env=env,
            cwd=env["HOME"],
            user=self.uid,
            group=self.gid,
            extra_groups=None if self.uid is None else [],
            input="",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def python_c(
        self, code: str, *argv: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -I -c CODE ARGV...`` as the subject (in a fresh scratch home by default).

        ``-I``: only the installed package is importable, not the working directory.
        """
        if env is not None:
            return self.run([str(self.python), "-I", "-c", code, *argv], env=env)
        with self.scratch() as home:
            return self.run([str(self.python), "-I", "-c", code, *argv], env=self.env(home))

    def error_from(
        self,
        expected: type[BaseException],
        action: str,
        *argv: str,
        setup: str = "",
        env: Mapping[str, str] | None = None,
    ) -> str:
        """The text of the ``expected`` exception that ``action`` raises when the subject runs it.

        ``setup`` and then ``action`` (Python statements; ``sys`` is imported, and ``argv``
        are ``sys.argv[1:]``) run as the subject. Fails the test when ``setup`` raises anything
        or ``action`` raises nothing or another exception.
        """
        code = _RAISES.format(
            module=expected.__module__,
            name=expected.__qualname__,
            setup=textwrap.dedent(setup),
            action=textwrap.indent(textwrap.dedent(action).strip(), "    "),
        )
        done = self.python_c(code, *argv, env=env)
        assert done.returncode == 0, (
            f"no {expected.__name__} from {action.strip()!r}: {done.stderr}"
        )
        return done.stdout


_SUBJECT = pytest.StashKey[Subject]()


def subject(config: pytest.Config) -> Subject:
    """The subject for this session: ``nobody`` with a venv of its own under root, else us.

    Skips the test where the suite runs as root but there is no ``nobody`` or no system Python
    to build its venv from.
    """
    found = config.stash.get(_SUBJECT, None)
    if found is None:
        found = _make_subject(config)
        config.stash[_SUBJECT] = found
    return found


def _make_subject(config: pytest.Config) -> Subject:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return Subject(python=Path(sys.executable))
    import pwd

    try:
        user = pwd.getpwnam(USER)
    except KeyError:
        pytest.skip(f"runs as root and there is no user {USER!r} to run the check as")
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"runs as root and there is no {SYSTEM_PYTHON} for {USER!r} to run")
    where = Path(tempfile.mkdtemp(prefix="posturebreak-venv-", dir="/tmp"))
    config.add_cleanup(lambda: _remove(where))
    where.chmod(0o755)
    found = Subject(python=_install(where), uid=user.pw_uid, gid=user.pw_gid)
    ready = found.python_c("import posturebreak.app.start")
    assert ready.returncode == 0, f"{USER} cannot run {found.python}: {ready.stderr}"
    return found


def _install(where: Path) -> Path:
    """Make a venv in ``where`` with this source tree installed; its interpreter.

    Readable by everyone whatever the suite's umask. The suite's pip installs into it: a pip of
    its own, or compiling every module ahead, would each cost a second or more, while the few
    subject processes compile what they import in milliseconds. The copy of the tree goes once
    built.
    """
    venv, source = where / "venv", where / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE, symlinks=True)
    steps = [
        [str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)],
        [
            *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")),
            *("install", "--quiet", "--no-input", "--disable-pip-version-check", "--no-compile"),
            str(source),
        ],
    ]
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True, umask=0o022, check=False)
        assert done.returncode == 0, f"{' '.join(argv)} failed: {done.stdout}{done.stderr}"
    _remove(source)
    return venv / "bin" / "python"


def _remove(path: Path) -> None:
    """Remove the tree at ``path``, whatever modes a test left on its directories."""
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    for folder, names, _ in os.walk(path):
        for name in names:  # before os.walk enters them
            child = Path(folder, name)
            if not child.is_symlink():
                with contextlib.suppress(OSError):
                    child.chmod(0o700)
    shutil.rmtree(path, ignore_errors=True)
