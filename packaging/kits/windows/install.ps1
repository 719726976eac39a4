# Overfit Lab's offline installer for Windows 10 / 11 (x64). Double-click install.bat beside it.
#
# It makes a virtual environment from the Python named in kit.txt (already on this machine),
# installs the wheels of this kit into it with no index and no network (each checked against
# the hash in requirements.txt), and adds "Overfit Lab" to the Start menu and to Settings >
# Apps. Nothing needs administrator rights; everything goes under %LOCALAPPDATA%\Programs.
# Run again, it repairs or updates: a new environment is made beside the old one, and the old
# one is removed only once the new one works. If it stops, it says why and changes nothing.
$ErrorActionPreference = 'Stop'
$Kit = Split-Path -Parent $MyInvocation.MyCommand.Path
$Info = @{}
Get-Content (Join-Path $Kit 'kit.txt') | ForEach-Object { if ($_ -match '^(\w+)=(.*)$') { $Info[$Matches[1]] = $Matches[2] } }
$Want = $Info['python']                      # e.g. 3.12
$Version = $Info['version']
$Dest = Join-Path $env:LOCALAPPDATA 'Programs\Overfit Lab'
$Menu = Join-Path ([Environment]::GetFolderPath('Programs')) 'Overfit Lab.lnk'
$UninstallKey = 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\OverfitLab'

function Stop-Install([string]$Why) {
    Write-Host ''
    Write-Host "Overfit Lab was not installed: $Why" -ForegroundColor Red
    Write-Host "Nothing was changed. README.txt in $Kit says what this kit needs."
    exit 1
}

# --- this machine -------------------------------------------------------------------------
$os = [Environment]::OSVersion.Version
if ($os.Major -lt 10) { Stop-Install "this kit needs Windows 10 or 11; this is Windows $os." }
if (-not [Environment]::Is64BitOperatingSystem) { Stop-Install 'this kit needs 64-bit Windows.' }

# --- a Python $Want for x64 ------------------------------------------------------------------
$Probe = "import sys, sysconfig; print('%d.%d' % sys.version_info[:2], sysconfig.get_platform(), sys.executable)"
function Get-PythonInfo([string]$Exe, [string[]]$Pre = @()) {
    try {
        $out = & $Exe @Pre -c $Probe 2>$null
        if ($LASTEXITCODE -eq 0 -and $out) { return ($out | Select-Object -Last 1) }
    } catch { }
    return $null
}
$tag = 'Python' + $Want.Replace('.', '')
# The py launcher knows every python.org install; then the default install folders, then PATH.
$candidates = @('py', (Join-Path $env:LOCALAPPDATA "Programs\Python\$tag\python.exe"),
                (Join-Path $env:ProgramFiles "$tag\python.exe"), "python$Want", 'python')
$Python = $null
$seen = @()
foreach ($c in $candidates) {
    if ($c -eq 'py') { $line = Get-PythonInfo 'py' @("-$Want") } else { $line = Get-PythonInfo $c }
    if (-not $line) { continue }
    $ver, $plat, $exe = $line -split ' ', 3
    $seen += "$exe (Python $ver, $plat)"
    if ($ver -eq $Want -and $plat -eq 'win-amd64') { $Python = $exe; break }
}
if (-not $Python) {
    $found = if ($seen) { ' Found: ' + (($seen | Select-Object -Unique) -join '; ') + '.' } else { ' No Python was found.' }
    Stop-Install ("this kit needs Python $Want for 64-bit Windows, from python.org " +
                  "($($Info['python_installer_windows']); README.txt says where to get it). " +
                  "Install it, then run install.bat again.$found")
}

# --- install into a new environment, then switch to it ----------------------------------------
$stamp = (Get-Date -Format 'yyyyMMdd-HHmmss') + "-$PID"
$envDir = Join-Path $Dest "env-$stamp"
$created = -not (Test-Path $Dest)
Write-Host "Installing Overfit Lab $Version with $Python"
Write-Host "  into $envDir (about 1 GB; a few minutes) ..."
function Undo-Install([string]$Why) {
    Remove-Item -Recurse -Force $envDir -ErrorAction SilentlyContinue
    if ($created) { Remove-Item -Recurse -Force $Dest -ErrorAction SilentlyContinue }
    Stop-Install $Why
}
New-Item -ItemType Directory -Force $Dest | Out-Null
& $Python -m venv $envDir
if ($LASTEXITCODE -ne 0) { Undo-Install "'$Python -m venv' failed (above)." }
$envPython = Join-Path $envDir 'Scripts\python.exe'
& $envPython -m pip install --no-index --find-links (Join-Path $Kit 'wheels') --require-hashes `
    -r (Join-Path $Kit 'requirements.txt') --disable-pip-version-check --no-warn-script-location
if ($LASTEXITCODE -ne 0) { Undo-Install 'pip could not install the kit''s wheels (above). Is the kit complete? Copy it again.' }
& $envPython -c "import engine, gui, torch, PySide6.QtWidgets"
if ($LASTEXITCODE -ne 0) { Undo-Install 'the new environment does not import (above).' }

# The menu entry, the icon and the uninstaller; one of each, however often this runs.
Copy-Item -Force (Join-Path $Kit 'overfit-lab.ico') $Dest
Copy-Item -Force (Join-Path $Kit 'uninstall.ps1') $Dest
$target = Join-Path $envDir 'Scripts\overfit-lab.exe'   # pip's windowed launcher: no console
$shell = New-Object -ComObject WScript.Shell
$link = $shell.CreateShortcut($Menu)
$link.TargetPath = $target
$link.WorkingDirectory = $env:USERPROFILE
$link.IconLocation = (Join-Path $Dest 'overfit-lab.ico') + ',0'
$link.Description = 'See why deep networks overfit, and how each remedy fixes it'
$link.Save()
New-Item -Force $UninstallKey | Out-Null
$uninstall = "powershell.exe -NoProfile -ExecutionPolicy Bypass -File `"$(Join-Path $Dest 'uninstall.ps1')`""
Set-ItemProperty $UninstallKey -Name DisplayName -Value 'Overfit Lab'
Set-ItemProperty $UninstallKey -Name DisplayVersion -Value $Version
Set-ItemProperty $UninstallKey -Name Publisher -Value 'Overfit Lab'
Set-ItemProperty $UninstallKey -Name DisplayIcon -Value (Join-Path $Dest 'overfit-lab.ico')
Set-ItemProperty $UninstallKey -Name InstallLocation -Value $Dest
Set-ItemProperty $UninstallKey -Name UninstallString -Value $uninstall
Set-ItemProperty $UninstallKey -Name NoModify -Value 1 -Type DWord
Set-ItemProperty $UninstallKey -Name NoRepair -Value 1 -Type DWord
Set-Content -Path (Join-Path $Dest 'current.txt') -Value "env-$stamp"

# Only now the older environments go (a failed update above left them working).
Get-ChildItem -Directory $Dest -Filter 'env-*' | Where-Object { $_.FullName -ne $envDir } |
    ForEach-Object { Remove-Item -Recurse -Force $_.FullName -ErrorAction SilentlyContinue }

Write-Host ''
Write-Host "Overfit Lab $Version is installed: Start menu > Overfit Lab." -ForegroundColor Green
Write-Host "  The command line: `"$(Join-Path $envDir 'Scripts\overfit-lab-cli.exe')`" --help"
Write-Host "  Remove it: Settings > Apps > Overfit Lab, or uninstall.bat in this kit (your runs are kept)."
exit 0
