@echo off
rem Double-click to install Overfit Lab from this kit (no network, no administrator rights).
if not exist "%~dp0install.ps1" (
    echo Overfit Lab was not installed: install.ps1 is not beside install.bat.
    echo If you opened the kit's zip file in Explorer, use "Extract All" first and run
    echo install.bat from the extracted folder. Otherwise copy the whole kit folder again.
    pause
    exit /b 1
)
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1"
set rc=%ERRORLEVEL%
pause
exit /b %rc%
