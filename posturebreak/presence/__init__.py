"""Whether the person is at the desk: idle probes, screen lock and do-not-disturb holds."""
