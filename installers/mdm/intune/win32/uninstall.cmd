@echo off
rem Intune Win32 app - uninstall command: removes every installed ccfleet agent (any version), found by the
rem MSI's UpgradeCode. The configuration in C:\ProgramData\ccfleet is kept (delete it yourself if wanted).
rem Exit 0 when nothing is left installed (also when nothing was), else msiexec's code (3010: reboot needed).
setlocal EnableExtensions
set "UPGRADE_CODE={62821836-A564-4ED5-B474-92CB73D8FA1A}"
set "RC=0"
for /f "usebackq delims=" %%P in (`powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "(New-Object -ComObject WindowsInstaller.Installer).RelatedProducts('%UPGRADE_CODE%')"`) do call :remove %%P
exit /b %RC%

:remove
msiexec.exe /x %1 /qn /norestart /l*v "%SystemRoot%\Temp\ccfleet-uninstall.log"
set "ERR=%ERRORLEVEL%"
if not "%ERR%"=="0" set "RC=%ERR%"
exit /b 0
