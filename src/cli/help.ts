/** `ccfleet --help` and `ccfleet <command> --help`. */
import { WSL_HELP } from './commands/wsl-help.js';

export const COMMON_HELP = `Options:
  --policy <file-or-url>   policy to enforce (JSONC file or http(s) URL); default: the agent config's "policy",
                           else <server>/v1/policy as the daemon gets it (enrolls if needed; the last-known-good
                           copy in the state dir while the server cannot be reached)
  --config <file>          agent configuration, only this file (default: the platform's file, overlaid by macOS
                           managed preferences com.ccfleet.agent or Windows HKLM\\SOFTWARE\\Policies\\ccfleet;
                           under --root when given)
  --root <dir>             treat <dir> as the filesystem root (tests, offline images)
  --platform <os>          linux | darwin | windows | wsl (default: detected)
  --user <name>            limit to one user (repeatable; a name that is not a user here is an error)
  --state-dir <dir>        override the state folder (backups, cache)
  --json                   one JSON document on stdout; logs go to stderr`;

const FORMAT_HELP = `  --format <f>             one line for an MDM script instead of the table (not with --json):
                           jamf               <result>Compliant|Non-compliant: <reasons>|Error: <CODE></result>, exit 0
                           intune             Remediations detection: "Compliant: …" exit 0, "Non-compliant: …" or
                                              "Error: <CODE>: …" exit 1; one line under 2,048 characters
                           intune-compliance  custom-compliance discovery JSON (ccfleetCompliant, ccfleetPolicyVersion,
                                              ccfleetNonCompliantUsers, ccfleetError, …), exit 0`;

/** The common options restore uses (it works on backups by --path, not on users, and needs no policy). */
const RESTORE_OPTIONS = COMMON_HELP.split('\n').filter((l) => !/^\s+--(user|policy) /.test(l)).join('\n');

export const HELP: Record<string, string> = {
  main: `ccfleet — keeps every developer's Claude Code on the company's Bifrost gateway

Usage: ccfleet <command> [options]

Commands:
  check          evaluate this machine against the policy; change nothing     (0 compliant, 1 not, 2 error)
  repair         make this machine compliant; --dry-run shows what would change (0 compliant after, 1 not, 2 error)
  status         per user and project: which files, which values win, which model is selected
  doctor         gateway reachable, key accepted, budget left, files readable  (0 ok, 1 problems, 2 error)
  daemon         watch and repair drift in real time, pull the policy on a schedule (foreground; SIGTERM stops)
  report         check now and send the compliance report (and anything spooled) to the server (0 sent, 1 spooled, 2 error)
  policy lint    what a gateway admin should fix in a policy file               (0 clean, 1 findings, 2 invalid)
  policy keygen | sign | verify   ed25519 keys and detached signatures for policies (see policy --help)
  restore        put back files as they were before ccfleet changed them
  server         run the ccfleet server (enrollment, signed policy, reports, fleet API, dashboard, /metrics)
  wsl list | check | repair   Windows: enforce inside the WSL distributions (0 all compliant, 1 not, 2 error)
  service install | uninstall | status   register the daemon with systemd, launchd or Windows (NSSM)
  version        print the version (also --version)

Run 'ccfleet <command> --help' for the options of a command.`,
  check: `Usage: ccfleet check [--format jamf|intune|intune-compliance] [options]\n\nEvaluate the machine; change nothing. Exit 0 compliant, 1 not compliant, 2 usage/config/policy error.\n${FORMAT_HELP}\n\n${COMMON_HELP}`,
  repair: `Usage: ccfleet repair [--dry-run] [--format jamf|intune|intune-compliance] [options]\n\nMake the machine compliant. Exit 0 compliant afterwards, 1 something could not be repaired, 2 error.\n  --dry-run                plan and report the changes without writing; exits as check would. With --json: the
                           report repair would produce (states "repaired"), plus "compliantNow" for the machine as it is
${FORMAT_HELP}\n\n${COMMON_HELP}`,
  status: `Usage: ccfleet status [options]\n\nHuman view: per user and project, which files are read, which values win, which model is selected.\n\n${COMMON_HELP}`,
  daemon: `Usage: ccfleet daemon [--log-level error|warn|info|debug] [options]

Run in the foreground until SIGTERM/SIGINT (exit 0); SIGHUP reloads the agent config and fetches the policy.
Starts with the last-known-good policy from the state dir, arms file watchers on every settings folder, runs
one full repair, then fetches the policy (--policy, else the agent config's "policy", else <server>/v1/policy).
A drift is repaired within milliseconds; a file something keeps rewriting is rate-limited and reported
contested; a full resync runs every 15 min (agent config "resyncMinutes"), the policy is pulled every 5 min
("policyRefresh": { "cron", "jitterSeconds" }). With "policyPublicKeys" pinned, only signed policies apply;
a rejected, unreachable or expired policy leaves the last-known-good one in force.
Logs: JSON lines in the log folder (agent config "logDir"), plain lines on stderr (--json: JSON lines).
Status: <state dir>/daemon/status.json after every pass.

${COMMON_HELP}`,
  report: `Usage: ccfleet report [--once] [options]

Check the machine now (as check does; nothing is changed), build one compliance report (ccfleet.report/v1) and
spool it in the state dir, then deliver everything spooled, oldest first, to <server>/v1/reports — the agent
config's "server", enrolling with its "enrollSecret" when this device has no token yet (kept in the state dir).
The policy: --policy as check takes it; otherwise the daemon's (the agent config's "policy", else the server's).
A report that cannot be sent stays in the spool (at most 1,000 reports / 50 MiB; the oldest go first, and are
counted in the next report) for the next run or the daemon. The daemon reports by itself on every change.

Exit codes: 0 this report was delivered · 1 spooled for later (server unreachable, 5xx, 429, timeout)
            2 error: usage, config, policy; the server refused the report (400/413/422: dropped) or this device
              (403, enrollment refused: kept)

  --once                   one delivery attempt (default: up to 3, a few seconds apart, while the server is unreachable)
  --json: { id, delivered, spooled, dropped, rejected, outcome: delivered|spooled|rejected|blocked, message? }

${COMMON_HELP}`,
  doctor: `Usage: ccfleet doctor [--timeout <ms>] [--ca <file>] [options]

Diagnose why Claude Code might not work through the gateway. Changes nothing. Checks (each with a stable code):
  policy-lint        the policy lints clean (errors are problems, warnings warnings)
  files-strict       every settings file is strict JSON Claude Code will read; a broken managed file is a problem
  user-env           each user's effective ANTHROPIC_BASE_URL and credential are the policy's (else: run ccfleet repair)
  gateway-reachable  the gateway answers HTTP at all (connection refused, DNS, TLS and timeouts are named)
  gateway-health     GET <origin>/health (Bifrost's health route; 404 = not Bifrost, skipped)
  gateway-models     GET <base>/v1/models with the policy's credential (401/403: the gateway rejects the key)
  gateway-quota      Bifrost's virtual-key quota route: key active, budget not used up (90%: warning)
  clock              this machine's clock against the gateway's Date header (30 s: warning, 5 min: problem)
Every gateway a user's Claude Code would use is checked; the policy's credential goes only to the policy's
gateway. An apiKeyHelper is run only when it is one absolute path owned by root in folders only root can write
(as root: with the user's uid), never under --root. Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
Secrets appear only as fingerprints (fp:…).

Exit codes: 0 no problem (warnings allowed), 1 at least one problem, 2 could not run (usage, config or policy error).

  --timeout <ms>           deadline of each network call, 1 to 120000 (default 5000)
  --ca <file>              extra trusted CA certificate(s), PEM, on top of the system's (a gateway behind a company CA)

${COMMON_HELP}

  --json: { ok, policy: { id, version }, checks: [ { code, status: ok|warning|problem|skipped, target?, users?, message, ms } ], summary }`,
  policy: `Usage: ccfleet policy lint <file> [--json]
       ccfleet policy keygen --out <dir> [--json]
       ccfleet policy sign <policy-file> --key <private.pem> [--out <file.sig>] [--force] [--json]
       ccfleet policy verify <policy-file-or-url> [--sig <file-or-url>] (--public-key <key>... | --config <agent.json>) [--json]

lint: validate a policy and list what a gateway admin should fix, each finding with a stable code and a severity:
"error" (the policy cannot work as written) or "warning" (it works, with a known trap).

Exit codes (as linters do, any finding fails the step):
  0  valid, no findings
  1  valid, with at least one finding (errors or warnings)
  2  not a valid policy (unreadable, not JSONC, or against the schema), or a usage error

  --json                   one JSON document on stdout: { file, policy, valid, counts: { errors, warnings }, warnings: [...] },
                           or { file, valid: false, error: { code, message } } for an invalid policy

keygen: a new ed25519 key pair: <dir>/ccfleet-policy.key (PKCS#8 PEM, mode 0600 — keep it off the laptops) and
<dir>/ccfleet-policy.pub; prints the public key (base64) for the agent config's "policyPublicKeys" and its key id.
Never overwrites a key. Exit 0, or 2.

sign: validate the policy (an invalid one is never signed; one with lint errors only with --force), then write
the detached signature over its exact bytes, { "alg": "ed25519", "keyId", "sig" }, to --out (default
<policy-file>.sig). Publish both; any change to the policy's bytes needs a new signature (and a higher version).
Exit 0, or 2.

verify: check a policy file or URL the way the agent does (signature from --sig, else the ccfleet-signature
header, else <policy>.sig) against --public-key (repeatable) or the agent config's policyPublicKeys.
Exit 0 valid, 1 not (unsigned, bad-signature, unknown-key, malformed-signature), 2 usage or unreadable/invalid policy.

  --out <dir|file>         keygen: the folder for the key pair; sign: where the signature goes
  --key <file>             sign: the private key (PKCS#8 PEM, from keygen)
  --force                  sign: sign despite lint errors (never an invalid policy)
  --sig <file-or-url>      verify: the signature document, instead of <policy>.sig / the header
  --public-key <key>       verify: a trusted public key (base64 raw, or a PEM "PUBLIC KEY" block); repeatable
  --config <agent.json>    verify: trust the config's policyPublicKeys`,
  restore: `Usage: ccfleet restore [--path <file>]... [--latest] [--list] [--dry-run] [options]\n\nPut files back from ccfleet's backups (the original before ccfleet first changed each file; --latest undoes only\nthe last change). --list shows the backups. Without --path every backed-up file is restored.\nExit 0 done (or nothing to do), 1 a file could not be written, 2 error (BACKUP_NOT_FOUND: no backup of a --path).\n  --path <file>            a file to restore, as --list shows it (repeatable)\n  --latest                 the state before ccfleet's last change instead of the original\n  --list                   list the backups (with --path: of those files)\n  --dry-run                say what would be restored, write nothing\n\n${RESTORE_OPTIONS}`,
  server: `Usage: ccfleet server --admin-token <t> --enroll-secret <s> [--listen <host:port>] [--store <sqlite-file|postgres://…>]
                      [--policy <file> [--signing-key <pem>] | --policy-dir <dir>] [options]

Run the ccfleet server (beside the Bifrost gateway) in the foreground: agents enroll, fetch the signed policy
and send compliance reports; admins read the fleet API and the dashboard; Prometheus scrapes /metrics.
Once it accepts connections it prints one line on stdout: listening on http://<host>:<port> (port 0 picks a
free port, and the line names it). Logs go to stderr. SIGHUP re-reads the policy; SIGTERM/SIGINT finish the
requests in flight, close the store and exit 0. Exit 2: a bad option, an unusable policy, key, certificate or
store, or an address that cannot be listened on.

Every option may come from an environment variable CCFLEET_<NAME> instead (--admin-token: CCFLEET_ADMIN_TOKEN,
--allow-unsigned: CCFLEET_ALLOW_UNSIGNED=1); a flag wins over its variable. Prefer the variables for the
tokens and secrets: command lines are visible to every user of the machine.

  --listen <host:port>        where to listen (default 127.0.0.1:8787; [::1]:8787 for IPv6; port 0: any free port)
  --store <file|url>          a SQLite file (default <data-dir>/ccfleet.sqlite) or postgres://user@host/db
                              (several servers behind a load balancer may share one PostgreSQL database)
  --data-dir <dir>            folder of the default SQLite store (default ./ccfleet-data, made 0700)
  --admin-token <t>           token for the fleet API (Authorization: Bearer) and the dashboard login;
                              repeatable or comma-separated (rotation)
  --enroll-secret <s>         the secret agents exchange for a device token (agent config "enrollSecret");
                              repeatable or comma-separated
  --policy <file>             the policy served at /v1/policy (validated first); signed with --signing-key, or
                              served with <file>.sig beside it, or unsigned with --allow-unsigned
  --signing-key <pem>         sign --policy in memory at start with this ed25519 key (ccfleet policy keygen)
  --policy-dir <dir>          folder of signed policies (<name>.json + <name>.json.sig): the highest version
                              is served; re-read when the folder changes and on SIGHUP
  --allow-unsigned            serve a policy without a signature (agents that pin keys refuse it; logged)
  --tls-cert <pem>, --tls-key <pem>   serve HTTPS (usually TLS ends at the reverse proxy instead)
  --trust-proxy <cidr,...>    reverse proxies whose X-Forwarded-For/-Proto are believed (e.g. 10.0.0.0/8, ::1;
                              default none, loopback only if listed): client address of the admin-login
                              throttle, and HTTPS for --cookie-secure auto
  --cookie-secure <mode>      Secure on the dashboard cookie: auto (default: when HTTPS here or at a trusted
                              proxy), always, never
  --history-days <n>          keep report history for n days (default 90; 0: forever); each device's latest
                              report is always kept; pruned hourly
  --stale-hours <h>           a device with no report for h hours is stale (default 24)
  --rate-limit <n>[/<burst>]  per device: reports, and policy requests, per minute (default 60/20; the
                              reports of batches: 600/1,000); off: no per-device limit at all
  --log-level <level>         error | warn | info | debug (default info)
  --json                      log JSON lines on stderr instead of plain lines`,
  wsl: WSL_HELP,
  service: `Usage: ccfleet service install | uninstall | status [--dry-run] [--binary <path>] [--json] [--root <dir>] [--platform <os>]

Register the daemon with the system's service manager — what the packages do, usable by hand (as root or an
administrator; status needs no rights):
  linux, wsl   systemd: ccfleet.service + ccfleet-config.path/.service in /etc/systemd/system (or the package's
               units in /usr/lib/systemd/system, enabled as they are), daemon-reload, enable, restart
  darwin       launchd: /Library/LaunchDaemons/com.ccfleet.agent.plist, launchctl bootstrap system (retried)
  windows      NSSM (nssm.exe beside ccfleet.exe): the service "ccfleet", automatic, LocalSystem, started
uninstall stops and removes what install registered (never config, state or logs; never the package's files).

  --dry-run         print the plan (with --json: the files' full text) and change nothing
  --binary <path>   the executable the service runs (default: this one when it is a single executable, else the
                    packaged path: /usr/lib/ccfleet/ccfleet, /Library/Application Support/ccfleet/bin/ccfleet,
                    C:\\Program Files\\ccfleet\\ccfleet.exe)
  --root <dir>      write the files under <dir> (an offline image); the live service manager is never touched
  --json            one JSON document: the steps and their outcome, or the status

Exit codes: install/uninstall 0 done, 1 a step failed (the output names it; later steps not run), 2 usage or
not root. status 0 installed, enabled and running, 1 otherwise.`,
  version: 'Usage: ccfleet version   (or ccfleet --version)\n\nPrint the version.',
  help: 'Usage: ccfleet help [<command>]\n\nPrint the overview, or the options of one command.',
};
