"""Start-up: arguments, the engine loaded in the background, crash reporting, the garbage
collector's policy, system libraries named before Qt starts, the desktop entry, screenshots."""
