"""What every part of the engine shares: the settings (declared once), the events, the run
control, files and logs, the device."""
