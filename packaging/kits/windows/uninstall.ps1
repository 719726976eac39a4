# Overfit Lab's uninstaller for Windows: removes what install.ps1 made, and nothing else.
# Your runs (under %LOCALAPPDATA%\overfit-lab), settings and logs are kept.
$ErrorActionPreference = 'Stop'
$Dest = Join-Path $env:LOCALAPPDATA 'Programs\Overfit Lab'
$Menu = Join-Path ([Environment]::GetFolderPath('Programs')) 'Overfit Lab.lnk'
$UninstallKey = 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\OverfitLab'
$removed = @()
# Not while the installer runs (it holds this mutex).
$mutex = New-Object System.Threading.Mutex($false, 'Local\OverfitLabKitInstall')
try { $mine = $mutex.WaitOne(0) } catch [System.Threading.AbandonedMutexException] { $mine = $true }
if (-not $mine) { Write-Host 'Overfit Lab is being installed (or uninstalled): let that finish first. Nothing was removed.' -ForegroundColor Red; exit 1 }
# Released however this script ends (run from an open PowerShell window, it would stay held).
function Exit-Uninstall([int]$Code) { try { $mutex.ReleaseMutex() } catch { }; exit $Code }

if ((Test-Path -LiteralPath $Dest) -and -not (Test-Path -LiteralPath (Join-Path $Dest 'overfit-lab-kit.txt'))) {
    Write-Host "Left $Dest alone: the kit's installer did not make it (it has no overfit-lab-kit.txt)."
    Exit-Uninstall 1
}
$running = @(Get-Process -ErrorAction SilentlyContinue | Where-Object { $_.Path -and $_.Path.StartsWith($Dest + '\', 'OrdinalIgnoreCase') })
if ($running.Count -gt 0) {
    Write-Host 'Overfit Lab is running: close it, then run the uninstaller again. Nothing was removed.' -ForegroundColor Red
    Exit-Uninstall 1
}
# The files first: if one is locked, the Start-menu and Settings entries stay to try again with.
if (Test-Path $Dest) {
    Set-Location $env:USERPROFILE                          # not inside the folder being removed
    [Environment]::CurrentDirectory = $env:USERPROFILE
    $current = Join-Path $Dest 'current'
    if (Test-Path $current) { [System.IO.Directory]::Delete($current) }   # the junction, not what it points to
    try { Remove-Item -Recurse -Force $Dest }
    catch {
        Write-Host "Could not remove all of $Dest ($($_.Exception.Message)). Close Overfit Lab and run the uninstaller again." -ForegroundColor Red
        Exit-Uninstall 1
    }
    $removed += $Dest
}
# The Start-menu entry, if it is the one the installer made (it starts a program in $Dest).
if (Test-Path $Menu) {
    $target = (New-Object -ComObject WScript.Shell).CreateShortcut($Menu).TargetPath
    if ($target -and $target.StartsWith($Dest + '\', 'OrdinalIgnoreCase')) { Remove-Item -Force $Menu; $removed += $Menu }
    else { Write-Host "Left $Menu alone: it starts $target, which the installer did not make." }
}
if (Test-Path $UninstallKey) { Remove-Item -Recurse -Force $UninstallKey; $removed += 'the entry in Settings > Apps' }
if ($removed) { Write-Host "Overfit Lab is removed: $($removed -join '; ')." -ForegroundColor Green }
else { Write-Host 'Overfit Lab is not installed for this user: nothing to remove.' }
$data = Join-Path $env:LOCALAPPDATA 'overfit-lab'
if (Test-Path $data) { Write-Host "Your runs are kept in $data." }
Exit-Uninstall 0
