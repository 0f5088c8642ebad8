/** `ccfleet wsl --help` (kept beside the command; help.ts lists it). */
export const WSL_HELP = `Usage: ccfleet wsl list  [--all] [--json]
       ccfleet wsl check  [--distro <name>]... [--all] [--report] [--json] [options]
       ccfleet wsl repair [--distro <name>]... [--all] [--report] [--json] [options]

Windows: enforce the policy inside WSL distributions, each a Linux machine of its own, with the Linux
executable shipped beside ccfleet.exe (run in the distribution as root: wsl.exe -d <name> -u root --exec …).
The Windows service does this by itself (agent config "wsl", docs/wsl.md); these commands are for hand use.
Run them as the Windows user who owns the distributions: WSL distributions are per user, and a service
account such as LocalSystem sees none.

  list                     the distributions a pass would look at, those it skips (docker-desktop, the agent
                           config's wsl.exclude), and what the service last found in each
  check                    run ccfleet check in each; change nothing  (0 all compliant, 1 not or an error, 2 error)
  repair                   run ccfleet repair in each                  (0 all compliant after, 1 not or an error, 2 error)
  --distro <name>          only this distribution (repeatable); a stopped one is started for it
  --all                    every registered distribution, starting stopped ones (default: only running ones,
                           or the agent config's wsl.distributions)
  --timeout <seconds>      per distribution (default 120, or the agent config's wsl.timeoutSeconds)
  --linux-exe <path>       Windows path of ccfleet's Linux executable (default: ccfleet-linux-x64 beside
                           ccfleet.exe, or the agent config's wsl.linuxExecutable)
  --report                 also report each distribution to the server as a device of its own (agent config
                           "server" and "enrollSecret"; tokens and spools under <state dir>\\wsl\\; a report the
                           server cannot take now stays spooled for the next run). Run as a Windows user (a
                           scheduled task), give a --state-dir of that user's
  --wsl-exe <path>         the wsl.exe to run (default %SystemRoot%\\System32\\wsl.exe; troubleshooting, tests)
  --policy <file-or-url>   policy to enforce (default: the agent config's source); its exact content is handed to
                           each distribution on stdin
  --config <file>          agent configuration (default: the platform's)
  --state-dir <dir>        where the service's WSL status is read from (list), and --report keeps its state
  --json                   one JSON document on stdout: per distribution its outcome and ccfleet's own report

An error in one distribution (ccfleet exits 2 there, prints something that is not a report, is not found,
or does not answer in time) is that distribution's result, with a code: wsl-agent-failed, wsl-bad-output,
wsl-exe-missing, wsl-start-failed, wsl-timeout. The other distributions are not affected.`;
