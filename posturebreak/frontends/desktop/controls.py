"""The small controls window: the tray menu as buttons, for the xorg tray (which has no menu).

Tk and pystray must never share a main loop, so the window runs in its own process,
``python -m posturebreak.frontends.desktop.controls``. :class:`ControlsLauncher` sends it the menu
model as one JSON line on stdin; the window prints the chosen item's id as one JSON line on
stdout and exits. Only ids cross the pipe: the launcher keeps the id -> action table, so the
child never has to rebuild commands.

The launcher side imports no tkinter; the window side imports it inside :func:`main`.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from posturebreak.frontends.desktop.menu import AppAction, MenuEntry, Separator, Submenu
from posturebreak.frontends.desktop.prompt import LAYOUT_ENV

if TYPE_CHECKING:
    import tkinter as tk

    from posturebreak.core.commands import Command

log = logging.getLogger("posturebreak.controls")

WINDOW_MODULE = "posturebreak.frontends.desktop.controls"
WINDOW_CLASS = "posturebreak-controls"
_TERMINATE_GRACE_S = 2.0
_CHECK = {True: "\N{BALLOT BOX WITH CHECK} ", False: "\N{BALLOT BOX} "}


def menu_to_json(entries: tuple[MenuEntry, ...]) -> tuple[str, dict[str, Command | AppAction]]:
    """The menu as the window's stdin line, and the table mapping item ids back to actions."""
    table: dict[str, Command | AppAction] = {}

    def encode(entry: MenuEntry) -> dict[str, object]:
        if isinstance(entry, Separator):
            return {"type": "separator"}
        if isinstance(entry, Submenu):
            items = [encode(e) for e in entry.items]
            return {
                "type": "submenu",
                "label": entry.label,
                "enabled": entry.enabled,
                "items": items,
            }
        item_id = None
        if entry.action is not None:
            item_id = f"i{len(table)}"
            table[item_id] = entry.action
        return {
            "type": "item",
            "label": entry.label,
            "id": item_id,
            "enabled": entry.enabled and item_id is not None,
            "checked": entry.checked,
        }

    return json.dumps({"entries": [encode(e) for e in entries]}, ensure_ascii=False), table


class ControlsLauncher:
    """Opens the controls window and hands the chosen action to ``on_action``.

    ``show`` and ``close`` are called from the tray's thread. ``on_action`` is called from
    the launcher's reader thread and must only hand the action on (e.g. to the dispatcher,
    which only enqueues).
    """

    def __init__(
        self,
        on_action: Callable[[Command | AppAction], None],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._on_action = on_action
        self._env = dict(os.environ if env is None else env)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def show(self, entries: tuple[MenuEntry, ...]) -> None:
        """Open the window for ``entries`` (a second click closes the first window)."""
        self.close()
        line, table = menu_to_json(entries)
        env = dict(self._env)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        proc = subprocess.Popen(
            [sys.executable, "-m", WINDOW_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
        )
        with self._lock:
            self._proc = proc
        threading.Thread(
            target=self._read, args=(proc, table), name="posturebreak-controls", daemon=True
        ).start()
        if proc.stdin is not None:
            try:
                proc.stdin.write(line + "\n")
                proc.stdin.close()
            except OSError as exc:
                log.warning("controls window did not take the menu: %s", exc)

    def close(self) -> None:
        """Close the window if it is open. Idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(_TERMINATE_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def is_open(self) -> bool:
        """Whether the window process is running."""
        with self._lock:
            proc = self._proc
        return proc is not None and proc.poll() is None

    def _read(self, proc: subprocess.Popen[str], table: Mapping[str, Command | AppAction]) -> None:
        stream: IO[str] | None = proc.stdout
        if stream is None:  # pragma: no cover - Popen(stdout=PIPE) always gives one
            return
        with stream:
            for line in stream:
                try:
                    chosen = table.get(str(json.loads(line).get("id")))
                except (ValueError, AttributeError):
                    chosen = None
                with self._lock:
                    current = self._proc is proc
                if chosen is None:
                    log.warning("ignoring a line from the controls window: %r", line)
                elif current:
                    self._on_action(chosen)
        proc.wait()


# --- the window process (tkinter only from here on) -------------------------------------


def _build(
    root: tk.Tk, entries: list[dict[str, Any]], choose: Callable[[str], None]
) -> dict[str, Any]:
    """Lay out the menu entries as labels and buttons; return the buttons by item id."""
    from tkinter import ttk

    buttons: dict[str, Any] = {}
    frame = ttk.Frame(root, padding=12)
    frame.pack(fill="both", expand=True)

    def button(parent: Any, item: dict[str, Any], *, live: bool) -> ttk.Button:  # noqa: ANN401
        label = str(item["label"])
        if item.get("checked") is not None:
            label = _CHECK[bool(item["checked"])] + label
        item_id = item.get("id")
        widget = ttk.Button(parent, text=label, command=lambda: choose(str(item_id)))
        if not (live and item.get("enabled") and item_id):
            widget.state(["disabled"])
        elif item_id:
            buttons[str(item_id)] = widget
        return widget

    for index, entry in enumerate(entries):
        kind = entry.get("type")
        if kind == "separator":
            ttk.Separator(frame).pack(fill="x", pady=6)
        elif kind == "submenu":
            row = ttk.Frame(frame)
            row.pack(fill="x", pady=2)
            ttk.Label(row, text=str(entry["label"]), width=18).pack(side="left")
            for item in entry.get("items", []):
                if item.get("type") == "item":
                    button(row, item, live=bool(entry.get("enabled"))).pack(side="left", padx=2)
        elif entry.get("id"):
            button(frame, entry, live=True).pack(fill="x", pady=2)
        else:
            # The first line is the headline ("Walk in 12 min"): make it the window's title.
            label = ttk.Label(frame, text=str(entry["label"]))
            if index == 0:
                label.configure(font=("TkDefaultFont", 12, "bold"))
            label.pack(anchor="w", pady=2)
    return buttons


def _place_near_pointer(root: tk.Tk) -> None:
    """Open under the pointer (the tray icon that was clicked), kept on screen."""
    root.update_idletasks()
    x, y = root.winfo_pointerxy()
    width, height = root.winfo_reqwidth(), root.winfo_reqheight()
    x = max(0, min(x - width // 2, root.winfo_screenwidth() - width))
    y = max(0, min(y + 16, root.winfo_screenheight() - height))
    root.geometry(f"+{x}+{y}")


def _write_layout(root: tk.Tk, buttons: Mapping[str, Any], path: Path) -> None:
    if not root.winfo_viewable():
        root.after(50, _write_layout, root, buttons, path)
        return
    root.update_idletasks()

    def centre(w: Any) -> list[int]:  # noqa: ANN401  any Tk widget
        return [w.winfo_rootx() + w.winfo_width() // 2, w.winfo_rooty() + w.winfo_height() // 2]

    layout = {"buttons": {i: centre(b) for i, b in buttons.items()}, "window": centre(root)}
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(layout), encoding="utf-8")
    partial.replace(path)


def _read_menu(line: str) -> list[dict[str, Any]] | None:
    """The entries from the stdin line, or ``None`` (after saying why on stderr)."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        print(f"posturebreak: bad controls menu on stdin ({exc})", file=sys.stderr)
        return None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        print("posturebreak: bad controls menu on stdin (no list of entries)", file=sys.stderr)
        return None
    return entries


def main() -> int:
    """Run the window: menu on stdin, the chosen id on stdout. Returns the exit status."""
    import tkinter as tk

    entries = _read_menu(sys.stdin.readline())
    if entries is None:
        return 2
    try:
        root = tk.Tk(className=WINDOW_CLASS)
    except tk.TclError as exc:
        print(f"posturebreak: cannot open the controls window ({exc})", file=sys.stderr)
        return 1
    root.withdraw()
    root.title("posturebreak")
    root.attributes("-topmost", True)  # noqa: FBT003  Tk's own option syntax
    root.resizable(width=False, height=False)

    def choose(item_id: str) -> None:
        try:
            sys.stdout.write(json.dumps({"id": item_id}) + "\n")
            sys.stdout.flush()
        except OSError:
            pass  # the app went away; nobody is left to tell
        root.destroy()

    buttons = _build(root, entries, choose)
    root.bind("<Escape>", lambda _e: root.destroy())
    _place_near_pointer(root)
    root.deiconify()
    layout = os.environ.get(LAYOUT_ENV)
    if layout:
        root.after(50, _write_layout, root, buttons, Path(layout))
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
