# Intune Win32 app - custom detection script ("Run script as 32-bit process on 64-bit clients": No).
# Intune treats the app as installed when this exits 0 AND writes to stdout; otherwise not installed.
# Installed means: ccfleet.exe in Program Files answers --version with at least $MinVersion, and the
# ccfleet service exists. Raise $MinVersion to the version you deploy so Intune upgrades older agents.

$MinVersion = [version]'0.1.0'

$programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
$ccfleet = if ($env:CCFLEET_BIN) { $env:CCFLEET_BIN } else { Join-Path $programFiles 'ccfleet\ccfleet.exe' }
if (-not (Test-Path -LiteralPath $ccfleet -PathType Leaf)) { exit 1 }

$out = & $ccfleet --version 2>$null
if ($LASTEXITCODE -ne 0 -or "$out" -notmatch '^ccfleet (\d+\.\d+\.\d+)') { exit 1 }
$version = [version]$Matches[1]
if ($version -lt $MinVersion) { exit 1 }

$service = Get-Service -Name 'ccfleet' -ErrorAction SilentlyContinue
if ($null -eq $service) { exit 1 }

Write-Output "ccfleet $version installed (service $($service.Status))"
exit 0
