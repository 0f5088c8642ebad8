# Intune Remediations - remediation script, paired with detect.ps1 (same settings: SYSTEM, 64-bit PowerShell).
#
# Runs `ccfleet.exe repair --format intune`: makes the machine compliant now (the ccfleet service normally
# keeps it so; this is the MDM's own lever). Output: one line under 2,048 characters, shown in the Intune
# console as the remediation output. Exit 0: compliant afterwards. Exit 1: something could not be
# repaired, or ccfleet could not run ("Error: <CODE>: ..." says which).

$ErrorActionPreference = 'Stop'
$programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
$ccfleet = if ($env:CCFLEET_BIN) { $env:CCFLEET_BIN } else { Join-Path $programFiles 'ccfleet\ccfleet.exe' }

if (-not (Test-Path -LiteralPath $ccfleet -PathType Leaf)) {
  Write-Output "Error: NOT_INSTALLED: $ccfleet not found (deploy the ccfleet Win32 app first)"
  exit 1
}
try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch { }

$ErrorActionPreference = 'Continue'
$out = & $ccfleet repair --format intune 2>$null
$rc = $LASTEXITCODE
$line = (@($out) -join ' ').Trim()
if (-not $line) { $line = "Error: NO_OUTPUT: ccfleet repair exited $rc without output" }
if ($line.Length -gt 2047) { $line = $line.Substring(0, 2044) + '...' }
Write-Output $line
if ($rc -eq 0) { exit 0 }
exit 1
