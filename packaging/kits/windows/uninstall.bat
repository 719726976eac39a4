@echo off
rem Double-click to remove Overfit Lab (your runs are kept).
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0uninstall.ps1"
set rc=%ERRORLEVEL%
pause
exit /b %rc%
