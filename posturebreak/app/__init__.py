"""The composition root: it makes the engine's queue first and builds everything around it.

``start.run`` is ``posturebreak run``: config, lock and log (``start``), then the console
(``console``) or the desktop (``desktop``), both wired by ``wiring``.
"""
