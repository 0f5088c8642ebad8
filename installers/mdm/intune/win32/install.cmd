@echo off
rem Intune Win32 app - install command. Package this folder (install.cmd, uninstall.cmd and
rem ccfleet-<version>-x64.msi) with IntuneWinAppUtil.exe -s install.cmd, then in Intune:
rem   Install command:    install.cmd "https://fleet.example.com" "<enrollment secret>"
rem   Uninstall command:  uninstall.cmd
rem   Install behavior:   System        Detection rule: custom script detect.ps1
rem   Return codes:       0 success, 3010 soft reboot, 1641 hard reboot, 1618 retry (another install running)
rem Arguments (all optional; the MSI keeps an existing C:\ProgramData\ccfleet\agent.json when none is given):
rem   1 SERVER_URL          the ccfleet server
rem   2 ENROLL_SECRET       the enrollment secret (hidden from the MSI log; keep it to letters, digits, - and _)
rem   3 POLICY_PUBLIC_KEYS  policy signing public key(s), comma-separated
rem Settings can also come from the registry instead (HKLM\SOFTWARE\Policies\ccfleet, see the admin guide),
rem which keeps the secret out of the Intune command line.
setlocal EnableExtensions
set "SERVER_URL=%~1"
set "ENROLL_SECRET=%~2"
set "POLICY_PUBLIC_KEYS=%~3"

set "MSI="
for %%F in ("%~dp0ccfleet-*-x64.msi") do set "MSI=%%~fF"
if not defined MSI (
  echo ccfleet-^<version^>-x64.msi is not next to %~nx0 1>&2
  exit /b 1619
)

set "PROPS="
if defined SERVER_URL set PROPS=%PROPS% SERVER_URL="%SERVER_URL%"
if defined ENROLL_SECRET set PROPS=%PROPS% ENROLL_SECRET="%ENROLL_SECRET%"
if defined POLICY_PUBLIC_KEYS set PROPS=%PROPS% POLICY_PUBLIC_KEYS="%POLICY_PUBLIC_KEYS%"

msiexec.exe /i "%MSI%" /qn /norestart%PROPS% /l*v "%SystemRoot%\Temp\ccfleet-install.log"
exit /b %ERRORLEVEL%
