"""posturebreak: stand, stretch and walk at the right moments, and keep an honest log."""

__version__ = "0.1.0"
