"""Pictures, icons and the exercise library shipped with posturebreak."""
