/**
 * The log on real files in temp folders: JSON lines, level filtering, size rotation with a retention
 * cap, permissions, redaction of every kind (the raw files are searched for each secret), plain lines on
 * stderr and nothing on stdout, and close() having everything logged before it on disk.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, plainLine, type LogOptions } from '../../src/agent/log.js';
import { fingerprint } from '../../src/core/fingerprint.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-log-'));
  dirs.push(d);
  return d;
};

afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const fileOnly = (logDir: string, extra: Partial<LogOptions> = {}): LogOptions => ({ logDir, console: false, ...extra });
/** Every file of the log folder, oldest first (ccfleetN.log with the highest N first, ccfleet.log last). */
function logFiles(dir: string): string[] {
  const num = (f: string) => Number(/(\d+)\.log$/.exec(f)?.[1] ?? 0);
  return fs.readdirSync(dir).sort((a, b) => num(b) - num(a)).map((f) => path.join(dir, f));
}
const rawLog = (dir: string): string => logFiles(dir).map((f) => fs.readFileSync(f, 'utf8')).join('');
const lines = (dir: string) => rawLog(dir).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** What the logger writes to stderr and stdout while `fn` runs. */
async function captureStd(fn: () => Promise<void>): Promise<{ stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  try {
    await fn();
  } finally {
    vi.restoreAllMocks();
  }
  return { stderr, stdout };
}

describe('file log', () => {
  it('writes JSON lines with timestamp, level, msg and meta', async () => {
    const dir = path.join(tempDir(), 'var', 'log', 'ccfleet');
    const log = createLogger(fileOnly(dir));
    log.info('daemon started', { version: '0.1.0', users: 3 });
    log.warn('watch degraded', { folders: ['/home/a'], reason: 'ENOSPC' });
    log.error('no meta');
    await log.close();
    const got = lines(dir);
    expect(got.map((l) => [l.level, l.msg, l.meta])).toEqual([
      ['info', 'daemon started', { version: '0.1.0', users: 3 }],
      ['warn', 'watch degraded', { folders: ['/home/a'], reason: 'ENOSPC' }],
      ['error', 'no meta', undefined],
    ]);
    for (const l of got) expect(new Date(String(l.timestamp)).toISOString()).toBe(l.timestamp);
    expect(Object.keys(got[0] ?? {})).toEqual(['timestamp', 'level', 'msg', 'meta']);
  });

  it('creates the folder 0750 and the files 0640', async () => {
    const old = process.umask(0o022);
    try {
      const dir = path.join(tempDir(), 'logs');
      const log = createLogger(fileOnly(dir));
      log.info('x');
      await log.close();
      expect(fs.statSync(dir).mode & 0o777).toBe(0o750);
      expect(fs.statSync(path.join(dir, 'ccfleet.log')).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(old);
    }
  });

  it('tightens an existing live file to 0640', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'ccfleet.log'), '', { mode: 0o666 });
    fs.chmodSync(path.join(dir, 'ccfleet.log'), 0o666);
    const log = createLogger(fileOnly(dir));
    log.info('x');
    await log.close();
    expect(fs.statSync(path.join(dir, 'ccfleet.log')).mode & 0o777).toBe(0o640);
  });

  it('filters by level', async () => {
    const dir = tempDir();
    const log = createLogger(fileOnly(dir, { level: 'warn' }));
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    await log.close();
    expect(lines(dir).map((l) => l.msg)).toEqual(['w', 'e']);

    const dir2 = tempDir();
    const verbose = createLogger(fileOnly(dir2, { level: 'debug' }));
    verbose.debug('d');
    await verbose.close();
    expect(lines(dir2).map((l) => l.level)).toEqual(['debug']);
  });

  it('rotates by size and keeps at most maxFiles files, newest in ccfleet.log', async () => {
    const dir = tempDir();
    const log = createLogger(fileOnly(dir, { maxSizeBytes: 2_000, maxFiles: 3 }));
    for (let i = 0; i < 500; i++) log.info(`line ${i}`, { i, pad: 'x'.repeat(40) });
    await log.close();
    const files = logFiles(dir).map((f) => path.basename(f));
    expect(files).toEqual(['ccfleet2.log', 'ccfleet1.log', 'ccfleet.log']);
    for (const f of logFiles(dir)) expect(fs.statSync(f).size).toBeLessThanOrEqual(2_000);
    // What is kept is the newest lines, contiguous, in order, ending with the last one.
    const kept = lines(dir).map((l) => (l.meta as { i: number }).i);
    expect(kept.at(-1)).toBe(499);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 500 - kept.length + k));
    expect(kept.length).toBeGreaterThan(20);
  });

  it('a restarted logger appends, and rotates an already full file first', async () => {
    const dir = tempDir();
    const first = createLogger(fileOnly(dir, { maxSizeBytes: 1_000, maxFiles: 2 }));
    first.info('before restart', { pad: 'y'.repeat(900) });
    await first.close();
    const second = createLogger(fileOnly(dir, { maxSizeBytes: 1_000, maxFiles: 2 }));
    second.info('after restart');
    await second.close();
    expect(fs.readFileSync(path.join(dir, 'ccfleet1.log'), 'utf8')).toContain('before restart');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ccfleet.log'), 'utf8')).msg).toBe('after restart');
  });

  it('close() has everything logged just before it on disk', async () => {
    const dir = tempDir();
    const log = createLogger(fileOnly(dir));
    for (let i = 0; i < 5_000; i++) log.info('burst', { i });
    await log.close();
    const got = lines(dir);
    expect(got).toHaveLength(5_000);
    expect((got.at(-1)?.meta as { i: number }).i).toBe(4_999);
  });

  it('a burst across rotations loses nothing before the retention cap', async () => {
    const dir = tempDir();
    const log = createLogger(fileOnly(dir, { maxSizeBytes: 50_000, maxFiles: 50 }));
    for (let i = 0; i < 3_000; i++) log.info('burst', { i }); // ≈ 240 kB: several rotations, well under the cap
    await log.close();
    expect(lines(dir).map((l) => (l.meta as { i: number }).i)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
  });

  it('drops lines after close(); close() is idempotent', async () => {
    const dir = tempDir();
    const log = createLogger(fileOnly(dir));
    log.info('kept');
    await log.close();
    log.error('dropped');
    await log.close();
    expect(lines(dir).map((l) => l.msg)).toEqual(['kept']);
  });

  it('never follows a symlink planted at the live file', async () => {
    if (process.platform === 'win32') return;
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'untouched');
    fs.symlinkSync(victim, path.join(dir, 'ccfleet.log'));
    const { stderr } = await captureStd(async () => {
      const log = createLogger(fileOnly(dir));
      log.info('x');
      log.info('y');
      await log.close();
    });
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
    expect(stderr.match(/the log cannot be written/g)).toHaveLength(1); // one line per failure streak
  });

  it('refuses bad options with CONFIG_INVALID', () => {
    const dir = tempDir();
    for (const extra of [{ maxFiles: 1 }, { maxSizeBytes: 0 }, { fileName: '../x.log' }, { level: 'trace' as never }]) {
      expect(() => createLogger(fileOnly(dir, extra))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('a log folder that cannot be created is WRITE_FAILED', () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    expect(() => createLogger(fileOnly(path.join(file, 'logs')))).toThrow(expect.objectContaining({ code: 'WRITE_FAILED' }));
  });

  it('no destination: a silent logger', async () => {
    const { stderr, stdout } = await captureStd(async () => {
      const log = createLogger({ logDir: null, console: false });
      log.error('nowhere');
      await log.close();
    });
    expect(stderr + stdout).toBe('');
  });
});

describe('redaction', () => {
  const CREDENTIAL = 'bf-virtual-key-7f3a9c';
  const SK = 'sk-ant-api03-Zx9YwVuTsRqPoNmLk';
  const BEARER = 'eyJhbGciOiJIUzI1NiJ9.payload.sig';
  const API_KEY = 'apikey-0123456789';
  const VK = 'sk-bf-vk-abcdefgh';
  const META_SECRET = 'meta-password-value';
  const URL_PASS = 'proxy-pass-word';

  it('keeps every kind of secret out of the files and stderr', async () => {
    const dir = tempDir();
    const { stderr, stdout } = await captureStd(async () => {
      const log = createLogger({ logDir: dir, console: 'plain', level: 'debug' });
      log.addSecrets([CREDENTIAL]);
      log.info(`policy applied with ${CREDENTIAL}`, { env: { ANTHROPIC_CUSTOM_HEADERS: `x-bf-vk: ${VK}` }, list: [CREDENTIAL] });
      log.warn(`gateway rejected ${SK}`);
      log.error('request failed', { err: new Error(`401 for Authorization: Bearer ${BEARER} (${CREDENTIAL})`) });
      log.debug(`sent x-api-key: ${API_KEY}`);
      log.debug(`header x-bf-vk: ${VK}`);
      log.info('config', { auth: { password: META_SECRET }, proxy: `http://bob:${URL_PASS}@proxy.corp:3128` });
      await log.close();
    });
    const raw = rawLog(dir);
    for (const secret of [CREDENTIAL, SK, BEARER, API_KEY, VK, META_SECRET, URL_PASS]) {
      expect(raw).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
    expect(stdout).toBe('');
    // fingerprints take their place, so an operator can still match them against a report
    expect(raw).toContain(fingerprint(CREDENTIAL));
    expect(raw).toContain(fingerprint(SK));
    expect(raw).toContain(fingerprint(META_SECRET));
    expect(stderr).toContain(fingerprint(CREDENTIAL));
    const err = lines(dir)[2]?.meta as { err: { message: string; stack: string } };
    expect(err.err.message).toBe(`401 for Authorization: Bearer ${fingerprint(BEARER)} (${fingerprint(CREDENTIAL)})`);
    expect(err.err.stack).toContain(fingerprint(BEARER));
  });

  it('secrets added later are redacted from then on', async () => {
    const dir = tempDir();
    const log = createLogger(fileOnly(dir));
    log.addSecrets(['first-secret-value']);
    log.addSecrets(['second-secret-value']);
    log.info('first-secret-value second-secret-value');
    await log.close();
    expect(lines(dir)[0]?.msg).toBe(`${fingerprint('first-secret-value')} ${fingerprint('second-secret-value')}`);
  });
});

describe('stderr', () => {
  it('plain: LEVEL msg key=value lines on stderr, nothing on stdout', async () => {
    const { stderr, stdout } = await captureStd(async () => {
      const log = createLogger({ logDir: null, console: 'plain' });
      log.info('repaired', { path: '/home/a/.claude/settings.json', changes: 2, dry: false });
      log.warn('contested', { path: '/home/my docs/s.json', refused: 12, keys: ['model'] });
      log.error('line\nbreak');
      log.debug('hidden at info');
      await log.close();
    });
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      'INFO repaired path=/home/a/.claude/settings.json changes=2 dry=false',
      'WARN contested path="/home/my docs/s.json" refused=12 keys=["model"]',
      'ERROR line\\nbreak',
      '',
    ]);
  });

  it('json: the file\'s JSON lines on stderr', async () => {
    const { stderr, stdout } = await captureStd(async () => {
      const log = createLogger({ logDir: null, console: 'json' });
      log.info('hello', { n: 1 });
      await log.close();
    });
    expect(stdout).toBe('');
    const l = JSON.parse(stderr.trim()) as Record<string, unknown>;
    expect([l.level, l.msg, l.meta]).toEqual(['info', 'hello', { n: 1 }]);
  });

  it('plainLine quotes what would break a key=value line', () => {
    expect(plainLine({ level: 'info', message: 'm', meta: { a: '', b: 'x=y', c: 'é', d: null, e: { f: 1 } } })).toBe('INFO m a="" b="x=y" c="é" d=null e={"f":1}');
  });

  it('a child process logs to its stderr, never its stdout', async () => {
    // The real streams, not a spy: bundle a tiny entry, run it, read both pipes.
    const dir = tempDir();
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, [
      `import { createLogger } from ${JSON.stringify(path.resolve(__dirname, '../../src/agent/log.ts'))};`,
      `const log = createLogger({ logDir: null, console: 'plain' });`,
      `log.addSecrets(['child-secret-1']);`,
      `log.info('from child', { token: 'child-secret-1', n: 1 });`,
      `void log.close();`,
    ].join('\n'));
    const bundle = path.join(dir, 'entry.cjs');
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent', target: 'node22' });
    const r = spawnSync(process.execPath, [bundle], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`INFO from child token=${fingerprint('child-secret-1')} n=1\n`);
  });
});
