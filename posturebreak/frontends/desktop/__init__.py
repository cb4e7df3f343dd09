"""Desktop adapters: the tray icon and its menu, notifications, the break window, autostart.

``icon`` (Pillow drawing) and ``menu`` (a toolkit-free menu model) are pure; the adapters that
talk to pystray, plyer and Tk import those toolkits lazily, inside functions.
"""
