"""Do-not-disturb: fullscreen windows, chosen apps, camera and microphone, per platform."""
