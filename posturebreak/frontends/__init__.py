"""What the person sees: the console and the desktop (tray, windows, notifications, report)."""
