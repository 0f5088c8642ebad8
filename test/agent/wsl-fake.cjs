/**
 * A fake wsl.exe for the WSL tests (run as `node wsl-fake.cjs <wsl.exe arguments>`), configured by the JSON
 * file named in FAKE_WSL:
 *   { "distros": [ { "name": "Ubuntu", "running": true, "bin": "<folder put first on PATH inside it>" } ],
 *     "list": { "encoding": "utf16le" | "utf8", "bom": bool, "crlf": bool, "nuls": bool, "marker": bool },
 *     "log": "<file: one JSON line of argv per call>" }
 *   -l [--running] -q              the names (running ones only with --running), encoded as asked; none at all:
 *                                  wsl.exe's message in UTF-16LE and exit 1 (like WSL_E_DEFAULT_DISTRO_NOT_FOUND)
 *   -d <name> -u root --exec <argv…>  runs argv here (stdin/stdout/stderr passed through) with the distro's
 *                                  `bin` first on PATH (its wslpath and whatever else the test put there);
 *                                  an unknown name: wsl.exe's message (UTF-16LE) and exit 255 (-1)
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const cfg = JSON.parse(fs.readFileSync(process.env.FAKE_WSL, 'utf8'));
const argv = process.argv.slice(2);
if (cfg.log) fs.appendFileSync(cfg.log, `${JSON.stringify(argv)}\n`);

const utf16 = (s) => Buffer.from(s, 'utf16le');

if (argv[0] === '-l' || argv[0] === '--list') {
  const running = argv.includes('--running');
  const names = cfg.distros.filter((d) => !running || d.running).map((d) => d.name);
  if (names.length === 0) {
    process.stdout.write(utf16(running ? 'There are no running distributions.\r\n' : 'Windows Subsystem for Linux has no installed distributions.\r\n'));
    process.exit(1);
  }
  const l = cfg.list ?? {};
  const eol = l.crlf === false ? '\n' : '\r\n';
  const lines = names.map((n, i) => (l.marker && i === 0 ? `${n} (Default)` : n));
  let text = lines.join(eol) + eol;
  if (l.nuls) text = text.split(eol).join(`\u0000${eol}`);
  let buf = l.encoding === 'utf8' ? Buffer.from(text, 'utf8') : utf16(text);
  if (l.bom) buf = Buffer.concat([l.encoding === 'utf8' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.from([0xff, 0xfe]), buf]);
  process.stdout.write(buf);
  process.exit(0);
}

const d = argv.indexOf('-d');
const x = argv.indexOf('--exec');
if (d < 0 || x < 0) {
  process.stdout.write(utf16('Invalid command line argument.\r\n'));
  process.exit(1);
}
const name = argv[d + 1];
const distro = cfg.distros.find((e) => e.name.toLowerCase() === String(name).toLowerCase());
if (!distro) {
  // wsl.exe exits with -1 (0xFFFFFFFF) here; a POSIX exit status keeps its low byte.
  process.stdout.write(utf16('There is no distribution with the supplied name.\r\nError code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND\r\n'));
  process.exit(255);
}
const [cmd, ...rest] = argv.slice(x + 1);
const env = { ...process.env, PATH: `${distro.bin}${path.delimiter}${process.env.PATH}`, WSL_DISTRO_NAME: distro.name };
const r = spawnSync(cmd, rest, { stdio: 'inherit', env });
process.exit(r.status ?? 1);
