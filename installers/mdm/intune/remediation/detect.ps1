# Intune Remediations - detection script (Devices > Scripts and remediations). Settings: run as SYSTEM
# ("Run this script using the logged-on credentials": No), "Run script in 64-bit PowerShell": Yes,
# "Enforce script signature check": your choice (sign it if you require signatures).
#
# Runs `ccfleet.exe check --format intune`. Output: one line under 2,048 characters ("Compliant: ...",
# "Non-compliant: ...", "Error: <CODE>: ..."), shown in the Intune console as the pre-remediation output.
# Exit 0: compliant (nothing to do). Exit 1: not compliant, or compliance could not be established
# (error, not installed) - Intune then runs remediate.ps1.

$ErrorActionPreference = 'Stop'
# The 64-bit Program Files even when Intune starts a 32-bit PowerShell.
$programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
$ccfleet = if ($env:CCFLEET_BIN) { $env:CCFLEET_BIN } else { Join-Path $programFiles 'ccfleet\ccfleet.exe' }

if (-not (Test-Path -LiteralPath $ccfleet -PathType Leaf)) {
  Write-Output "Error: NOT_INSTALLED: $ccfleet not found"
  exit 1
}
# ccfleet writes UTF-8; without this, Windows PowerShell decodes it in the OEM code page.
try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch { }

$ErrorActionPreference = 'Continue'
$out = & $ccfleet check --format intune 2>$null
$rc = $LASTEXITCODE
$line = (@($out) -join ' ').Trim()
if (-not $line) { $line = "Error: NO_OUTPUT: ccfleet check exited $rc without output" }
if ($line.Length -gt 2047) { $line = $line.Substring(0, 2044) + '...' }
Write-Output $line
if ($rc -eq 0) { exit 0 }
exit 1
