"""Where posturebreak keeps its files.

``POSTUREBREAK_HOME=DIR`` puts everything (config, log, socket, lock) under DIR, for tests and
portable use; otherwise the platform's own locations from platformdirs.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "posturebreak"

# sun_path is 108 bytes on Linux and 104 on macOS; stay clear of both.
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class Paths:
    """The resolved locations of every file the app reads or writes."""

    config_file: Path
    data_dir: Path
    runtime_dir: Path

    @property
    def db_file(self) -> Path:
        """The SQLite event log."""
        return self.data_dir / "events.sqlite3"

    @property
    def lock_file(self) -> Path:
        """Held (flock) by the one running instance."""
        return self.runtime_dir / "posturebreak.lock"

    @property
    def socket_file(self) -> Path:
        """The control channel's Unix socket.

        Falls back to a short name in the temp directory when the natural path is longer
        than a socket address may be (deep ``POSTUREBREAK_HOME`` directories in tests).
        """
        natural = self.runtime_dir / "control.sock"
        if len(os.fsencode(natural)) <= _MAX_SOCKET_PATH:
            return natural
        # Imported here: only deep test directories need them, and hashlib maps libcrypto.
        import hashlib
        import tempfile

        digest = hashlib.sha256(os.fsencode(natural)).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"posturebreak-{os.getuid()}-{digest}.sock"

    @property
    def app_log_file(self) -> Path:
        """The app's own diagnostic log (warnings such as a failed notification)."""
        return self.data_dir / "posturebreak.log"


def resolve(env: Mapping[str, str] | None = None) -> Paths:
    """The paths for this user, honouring ``POSTUREBREAK_HOME``."""
    env = os.environ if env is None else env
    home = env.get("POSTUREBREAK_HOME")
    if home:
        base = Path(home).expanduser()
        return Paths(config_file=base / "config.toml", data_dir=base, runtime_dir=base)
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (a bare ssh or cron session) platformdirs warns and falls
        # back to a private /tmp directory, which is what we want; no warning for the user.
        warnings.simplefilter("ignore")
        runtime = Path(dirs.user_runtime_dir)
    return Paths(
        config_file=Path(dirs.user_config_dir) / "config.toml",
        data_dir=Path(dirs.user_data_dir),
        runtime_dir=runtime,
    )


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable by the user only; ``OSError`` says why not."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
