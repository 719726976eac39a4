@echo off
rem Double-click to remove Overfit Lab (your runs are kept).
if not exist "%~dp0uninstall.ps1" (
    echo uninstall.ps1 is not beside uninstall.bat: extract the whole kit folder first.
    pause
    exit /b 1
)
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0uninstall.ps1"
set rc=%ERRORLEVEL%
pause
exit /b %rc%
