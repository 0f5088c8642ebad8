# Intune custom compliance - discovery script for Windows (Devices > Compliance > Scripts), uploaded with
# ccfleet-compliance-rules.json. Intune runs it as SYSTEM and evaluates the single line of compressed JSON
# it returns. When ccfleet cannot answer, ccfleetCompliant is false and ccfleetError names why, so the
# rules fail visibly instead of the script erroring.
#
# Keys: ccfleetCompliant (Boolean), ccfleetPolicyId (String), ccfleetPolicyVersion (Int64), ccfleetUsers (Int64),
# ccfleetNonCompliantUsers (Int64), ccfleetReasons (String), ccfleetError (String, "none" when fine),
# ccfleetAgentVersion (String).

$programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
$ccfleet = if ($env:CCFLEET_BIN) { $env:CCFLEET_BIN } else { Join-Path $programFiles 'ccfleet\ccfleet.exe' }

function Fallback([string] $code) {
  return [ordered]@{
    ccfleetCompliant = $false; ccfleetPolicyId = ''; ccfleetPolicyVersion = 0; ccfleetUsers = 0
    ccfleetNonCompliantUsers = 0; ccfleetReasons = ''; ccfleetError = $code; ccfleetAgentVersion = ''
  }
}

$result = $null
if (-not (Test-Path -LiteralPath $ccfleet -PathType Leaf)) {
  $result = Fallback 'NOT_INSTALLED'
} else {
  try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch { }
  $out = & $ccfleet check --format intune-compliance 2>$null
  try { $result = (@($out) -join '') | ConvertFrom-Json } catch { $result = $null }
  if ($null -eq $result -or $null -eq $result.ccfleetCompliant) { $result = Fallback 'NO_OUTPUT' }
}
return $result | ConvertTo-Json -Compress
