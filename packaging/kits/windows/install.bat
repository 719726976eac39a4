@echo off
rem Double-click to install Overfit Lab from this kit (no network, no administrator rights).
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1"
set rc=%ERRORLEVEL%
pause
exit /b %rc%
