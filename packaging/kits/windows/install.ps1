# Overfit Lab's offline installer for Windows 10 / 11 (x64). Double-click install.bat beside it.
#
# It makes a virtual environment from the Python named in kit.txt (already on this machine),
# installs the wheels of this kit into it with no index and no network (each checked against
# the hash in requirements.txt), and adds "Overfit Lab" to the Start menu and to Settings >
# Apps. Nothing needs administrator rights; everything goes under %LOCALAPPDATA%\Programs.
# Run again, it repairs or updates: a new environment is made beside the old one, and the old
# one is removed only once the new one works. If it stops, it says why and changes nothing.
$ErrorActionPreference = 'Stop'
# Python is asked to write UTF-8 (-X utf8) where its output is read back, and PowerShell to
# read it so, only then: a path such as C:\Users\José would come back garbled otherwise.
function Read-Utf8([scriptblock]$Run) {
    $saved = $null
    try { $saved = [Console]::OutputEncoding; [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }
    try { & $Run } finally { if ($saved) { try { [Console]::OutputEncoding = $saved } catch { } } }
}
$Kit = Split-Path -Parent $MyInvocation.MyCommand.Path
$Dest = Join-Path $env:LOCALAPPDATA 'Programs\Overfit Lab'
$Current = Join-Path $Dest 'current'          # a junction to the environment in use
$Marker = Join-Path $Dest 'overfit-lab-kit.txt'
$Menu = Join-Path ([Environment]::GetFolderPath('Programs')) 'Overfit Lab.lnk'
$UninstallKey = 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\OverfitLab'

$Info = @{}
if (Test-Path -LiteralPath (Join-Path $Kit 'kit.txt')) {
    Get-Content -LiteralPath (Join-Path $Kit 'kit.txt') | ForEach-Object { if ($_ -match '^(\w+)=(.*)$') { $Info[$Matches[1]] = $Matches[2] } }
}
$Want = $Info['python']                      # e.g. 3.12
$Version = $Info['version']

$mutex = $null
# Stop-Plain: say why, and that nothing changed. Stop-Install: also what this kit needs.
function Stop-Plain([string]$Why) {
    if ($mutex) { try { $mutex.ReleaseMutex() } catch { } }
    Write-Host ''
    Write-Host "Overfit Lab was not installed: $Why" -ForegroundColor Red
    Write-Host "Nothing was changed. README.txt in $Kit says more."
    exit 1
}
function Stop-Install([string]$Why) {
    if ($mutex) { try { $mutex.ReleaseMutex() } catch { } }
    Write-Host ''
    Write-Host "Overfit Lab was not installed: $Why" -ForegroundColor Red
    Write-Host "Nothing was changed. This kit needs 64-bit Windows 10 or 11 and Python $Want (64-bit) from"
    Write-Host "python.org ($($Info['python_installer_windows'])); README.txt in $Kit says more."
    exit 1
}
if (-not $Want) {
    Write-Host 'Overfit Lab was not installed: this kit is incomplete (kit.txt is missing or damaged).' -ForegroundColor Red
    Write-Host "Nothing was changed. Copy the whole kit folder again; README.txt in $Kit says more."
    exit 1
}

# Native programs write progress to stderr; in Windows PowerShell 5.1 that must not stop us.
function Invoke-Native([string]$Exe, [string[]]$Arguments) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    # The output goes to the console: a function returns every line its statements emit.
    try { & $Exe @Arguments | Out-Host; return $LASTEXITCODE } catch { return 1 } finally { $ErrorActionPreference = $saved }
}

# --- this machine -------------------------------------------------------------------------
$os = [Environment]::OSVersion.Version
if ($os.Major -lt 10) { Stop-Install "this is Windows $os." }
if (-not [Environment]::Is64BitOperatingSystem) { Stop-Install 'this Windows is 32-bit.' }
# --- one install at a time; not while the app runs; not over a folder it did not make -----------
$script:mutex = New-Object System.Threading.Mutex($false, 'Local\OverfitLabKitInstall')
try { $mine = $mutex.WaitOne(0) } catch [System.Threading.AbandonedMutexException] { $mine = $true }
if (-not $mine) { $script:mutex = $null; Stop-Plain 'another install (or the uninstaller) of Overfit Lab is running; let it finish.' }
$running = @(Get-Process -ErrorAction SilentlyContinue | Where-Object { $_.Path -and $_.Path.StartsWith($Dest + '\', 'OrdinalIgnoreCase') })
if ($running.Count -gt 0) { Stop-Plain 'Overfit Lab is running: close it, then run install.bat again.' }
if ((Test-Path -LiteralPath $Dest) -and -not (Test-Path -LiteralPath $Marker)) {
    Stop-Plain "$Dest exists and this kit did not make it (it has no overfit-lab-kit.txt). Move it away first."
}

# --- a Python $Want for x64 ------------------------------------------------------------------
$Probe = "import sys, sysconfig; print('%d.%d' % sys.version_info[:2], sysconfig.get_platform(), sys.executable)"
function Get-PythonInfo([string]$Exe, [string[]]$Pre = @()) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $out = Read-Utf8 { & $Exe @Pre -I -X utf8 -c $Probe 2>$null }
        if ($LASTEXITCODE -eq 0 -and $out) { return ($out | Select-Object -Last 1) }
    } catch { } finally { $ErrorActionPreference = $saved }
    return $null
}
$tag = 'Python' + $Want.Replace('.', '')
# The py launcher knows every python.org install; then the default install folders, then PATH.
$candidates = @('py', (Join-Path $env:LOCALAPPDATA "Programs\Python\$tag\python.exe"),
                (Join-Path $env:ProgramFiles "$tag\python.exe"), "python$Want", 'python')
$Python = $null
$seen = @()
foreach ($c in $candidates) {
    if ($c -eq 'py') { $line = Get-PythonInfo 'py' @("-$Want-64") } else { $line = Get-PythonInfo $c }
    if (-not $line) { continue }
    $ver, $plat, $exe = $line -split ' ', 3
    if ($exe -like '*\WindowsApps\*') { $seen += "$exe (the Microsoft Store's Python, which redirects its files)"; continue }
    $seen += "$exe (Python $ver, $plat)"
    if ($ver -eq $Want -and $plat -eq 'win-amd64') { $Python = $exe; break }
}
if (-not $Python) {
    $found = if ($seen) { ' Found: ' + (($seen | Select-Object -Unique) -join '; ') + '.' } else { ' No Python was found.' }
    Stop-Install ("no 64-bit Python $Want was found.$found Install $($Info['python_installer_windows']), " +
                  'then run install.bat again.')
}
$verify = Join-Path $Kit 'verify_kit.py'
if (-not (Test-Path -LiteralPath $verify)) { Stop-Plain 'this kit is incomplete: verify_kit.py is missing. Copy the whole kit folder again.' }
Write-Host "Checking the kit's files ..."
$ErrorActionPreference = 'Continue'
$global:LASTEXITCODE = $null   # stays $null if Python did not start at all
$check = (Read-Utf8 { & $Python -I -X utf8 $verify 2>$null } | Out-String).Trim()
$code = $LASTEXITCODE
$ErrorActionPreference = 'Stop'
if ($code -ne 0) { Stop-Plain $(if ($check) { $check } else { "$verify did not run with $Python; copy the whole kit folder again." }) }

# --- install into a new environment, then switch to it ----------------------------------------
$envName = 'env-' + [Guid]::NewGuid().ToString('N').Substring(0, 8)   # short: Windows' 260-character paths
$envDir = Join-Path $Dest $envName
$longest = [int]$Info['longest_path'] + (Join-Path $envDir 'Lib\site-packages\').Length
$longPaths = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\FileSystem' -ErrorAction SilentlyContinue).LongPathsEnabled
if ($longest -ge 260 -and $longPaths -ne 1) {
    Stop-Install ("its longest file would have a $longest-character path under $Dest, and Windows allows 259 " +
                  'unless long paths are enabled (an administrator: Group Policy > Enable Win32 long paths).')
}
# PyTorch's DLLs need Microsoft's Visual C++ runtime, which Windows does not always have.
# (Checked last of all, as it is the one step that may change the machine outside $Dest.)
$sys32 = Join-Path $env:SystemRoot $(if ([Environment]::Is64BitProcess) { 'System32' } else { 'Sysnative' })
$runtime = @('msvcp140.dll', 'msvcp140_atomic_wait.dll', 'vcruntime140.dll', 'vcruntime140_1.dll')
$lacking = @($runtime | Where-Object { -not (Test-Path (Join-Path $sys32 $_)) })
if ($lacking.Count -gt 0) {
    $redist = Join-Path $Kit 'vc_redist.x64.exe'
    if (Test-Path -LiteralPath $redist) {
        Write-Host 'Installing Microsoft Visual C++ Redistributable (x64) from the kit (it asks for an administrator) ...'
        try { $p = Start-Process -FilePath ([Management.Automation.WildcardPattern]::Escape($redist)) -ArgumentList '/install', '/passive', '/norestart' -Wait -PassThru }
        catch { Stop-Install "vc_redist.x64.exe did not start ($($_.Exception.Message)); an administrator must agree to it." }
        if ($p.ExitCode -eq 3010) { Stop-Install 'the Visual C++ runtime is installed, and Windows must restart: restart it, then run install.bat again.' }
        if ($p.ExitCode -eq 1602) { Stop-Install 'the Visual C++ runtime''s installation was cancelled.' }
        $lacking = @($runtime | Where-Object { -not (Test-Path (Join-Path $sys32 $_)) })
    }
    if ($lacking.Count -gt 0) {
        Stop-Install ("PyTorch needs Microsoft's Visual C++ Redistributable (x64), and this PC lacks " +
                      "$($lacking -join ', '). Put vc_redist.x64.exe (https://aka.ms/vs/17/release/vc_redist.x64.exe) " +
                      "in the kit folder and run install.bat again: it installs it (an administrator must agree).")
    }
}

$created = -not (Test-Path $Dest)
Write-Host "Installing Overfit Lab $Version with $Python"
Write-Host "  into $envDir (about 1 GB; a few minutes) ..."
function Undo-Install([string]$Why) {
    Remove-Item -Recurse -Force $envDir -ErrorAction SilentlyContinue
    if ($created) {
        if (Test-Path $Current) { [System.IO.Directory]::Delete($Current) }
        Remove-Item -Recurse -Force $Dest -ErrorAction SilentlyContinue
        Remove-Item -Force $Menu -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $UninstallKey -ErrorAction SilentlyContinue
    }
    Stop-Plain $Why
}
try {
    New-Item -ItemType Directory -Force $Dest | Out-Null
    # Marked as this kit's at once: an install cut short (a closed window) is repaired by the next.
    if (-not (Test-Path -LiteralPath $Marker)) { Copy-Item -LiteralPath (Join-Path $Kit 'kit.txt') $Marker }
} catch { Undo-Install "could not make $($Dest): $($_.Exception.Message)" }
if ((Invoke-Native $Python @('-m', 'venv', $envDir)) -ne 0) { Undo-Install "'$Python -m venv' failed (above)." }
$envPython = Join-Path $envDir 'Scripts\python.exe'
# No pip.ini of the user's or the system's applies (PIP_CONFIG_FILE=nul skips them all), and
# --isolated leaves out PIP_* settings.
$env:PIP_CONFIG_FILE = 'nul'
$pip = @('-X', 'utf8', '-m', 'pip', '--isolated', 'install', '--no-index', '--no-cache-dir', '--find-links', (Join-Path $Kit 'wheels'),
         '--require-hashes', '-r', (Join-Path $Kit 'requirements.txt'), '--disable-pip-version-check',
         '--no-warn-script-location')
$pipCode = Invoke-Native $envPython $pip
Remove-Item Env:PIP_CONFIG_FILE -ErrorAction SilentlyContinue
if ($pipCode -ne 0) { Undo-Install 'pip could not install the kit''s wheels (above).' }
if ((Invoke-Native $envPython @('-I', '-X', 'utf8', '-c', 'import main, engine, gui, torch, PySide6.QtWidgets')) -ne 0) {
    Undo-Install ('the new environment does not import (above). If a DLL failed to load, install Microsoft''s Visual C++ ' +
                  'Redistributable (x64): put vc_redist.x64.exe in the kit folder and run install.bat again (README.txt). ' +
                  'If it says "blocked by application control policy", Windows 11''s Smart App Control refuses ' +
                  'unsigned DLLs (Windows Security > App & browser control).')
}

# The menu entry, the icon and the uninstaller: one of each, however often this runs. The
# shortcut starts current\ (a junction), so a pinned copy survives updates.
try {
    Copy-Item -Force -LiteralPath (Join-Path $Kit 'overfit-lab.ico') $Dest
    Copy-Item -Force -LiteralPath (Join-Path $Kit 'uninstall.ps1') $Dest
    Copy-Item -Force -LiteralPath (Join-Path $Kit 'kit.txt') $Marker
    $shell = New-Object -ComObject WScript.Shell
    $link = $shell.CreateShortcut($Menu)
    $link.TargetPath = Join-Path $Current 'Scripts\overfit-lab.exe'   # pip's windowed launcher: no console
    $link.WorkingDirectory = $env:USERPROFILE
    $link.IconLocation = (Join-Path $Dest 'overfit-lab.ico') + ',0'
    $link.Description = 'See why deep networks overfit, and how each remedy fixes it'
    $link.Save()
    New-Item -Force $UninstallKey | Out-Null
    # cmd /c "... & pause": what the uninstaller says stays on screen. (Not a .bat in $Dest:
    # cmd reads a batch file as it runs, and the uninstaller deletes $Dest.)
    $uninstall = "`"$env:ComSpec`" /c `"powershell.exe -NoProfile -ExecutionPolicy Bypass -File `"$(Join-Path $Dest 'uninstall.ps1')`" & pause`""
    Set-ItemProperty $UninstallKey -Name DisplayName -Value 'Overfit Lab'
    Set-ItemProperty $UninstallKey -Name DisplayVersion -Value $Version
    Set-ItemProperty $UninstallKey -Name Publisher -Value 'Overfit Lab'
    Set-ItemProperty $UninstallKey -Name DisplayIcon -Value (Join-Path $Dest 'overfit-lab.ico')
    Set-ItemProperty $UninstallKey -Name InstallLocation -Value $Dest
    Set-ItemProperty $UninstallKey -Name UninstallString -Value $uninstall
    Set-ItemProperty $UninstallKey -Name EstimatedSize -Value 1000000 -Type DWord   # KB
    Set-ItemProperty $UninstallKey -Name NoModify -Value 1 -Type DWord
    Set-ItemProperty $UninstallKey -Name NoRepair -Value 1 -Type DWord
} catch {
    Undo-Install "could not add the Start-menu entry: $($_.Exception.Message)"
}
# Last, the switch: current\ (a junction) to the new environment; back to the old one if it fails.
$previous = if (Test-Path $Current) { (Get-Item $Current).Target } else { $null }
try {
    if (Test-Path $Current) { [System.IO.Directory]::Delete($Current) }   # the junction only, not its target
    New-Item -ItemType Junction -Path $Current -Target $envDir | Out-Null
} catch {
    $why = $_.Exception.Message
    if ($previous -and -not (Test-Path $Current)) { New-Item -ItemType Junction -Path $Current -Target "$previous" | Out-Null }
    Undo-Install "could not switch to the new environment: $why"
}

# Only now the older environments go (a failed update above left them working).
$left = @()
Get-ChildItem -Directory $Dest -Filter 'env-*' | Where-Object { $_.FullName -ne $envDir } | ForEach-Object {
    try { Remove-Item -Recurse -Force $_.FullName } catch { $left += $_.FullName }
}

Write-Host ''
Write-Host "Overfit Lab $Version is installed: Start menu > Overfit Lab." -ForegroundColor Green
Write-Host "  The command line: `"$(Join-Path $Current 'Scripts\overfit-lab-cli.exe')`" --help"
Write-Host "  Remove it: Settings > Apps > Overfit Lab, or uninstall.bat in this kit (your runs are kept)."
if ($left) { Write-Host "  Could not remove the older $($left -join ', '); the next install or the uninstaller will." }
$mutex.ReleaseMutex()
exit 0
