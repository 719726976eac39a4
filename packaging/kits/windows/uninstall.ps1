# Overfit Lab's uninstaller for Windows: removes what install.ps1 made, and nothing else.
# The runs, settings and logs (under %LOCALAPPDATA%\overfit-lab) are kept: they are yours.
$ErrorActionPreference = 'Stop'
$Dest = Join-Path $env:LOCALAPPDATA 'Programs\Overfit Lab'
$Menu = Join-Path ([Environment]::GetFolderPath('Programs')) 'Overfit Lab.lnk'
$UninstallKey = 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\OverfitLab'
$removed = @()

# The Start-menu entry, if it is the one the installer made (it starts a program in $Dest).
if (Test-Path $Menu) {
    $target = (New-Object -ComObject WScript.Shell).CreateShortcut($Menu).TargetPath
    if ($target -like "$Dest\*") { Remove-Item -Force $Menu; $removed += $Menu }
    else { Write-Host "Left $Menu alone: it starts $target, which the installer did not make." }
}
if (Test-Path $UninstallKey) { Remove-Item -Recurse -Force $UninstallKey; $removed += 'the entry in Settings > Apps' }
# The installation folder holds only what the installer wrote: env-*, the icon, this script.
if (Test-Path $Dest) {
    Set-Location $env:USERPROFILE   # not inside the folder being removed
    Remove-Item -Recurse -Force $Dest
    $removed += $Dest
}
if ($removed) { Write-Host "Overfit Lab is removed: $($removed -join '; ')." -ForegroundColor Green }
else { Write-Host 'Overfit Lab is not installed for this user: nothing to remove.' }
$data = Join-Path $env:LOCALAPPDATA 'overfit-lab'
if (Test-Path $data) { Write-Host "Your runs, settings and logs are kept in $data." }
exit 0
