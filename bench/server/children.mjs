// Child processes of bench/server.mjs: `ccfleet server` (the built bundle under the Node 22 of the `node`
// devDependency), the bare floor server, and the load generator.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const BUNDLE = path.join(repo, 'dist', 'ccfleet.cjs');
const devNode = path.join(repo, 'node_modules', 'node', 'bin', 'node');
/** The Node 22 of the `node` devDependency (npm run puts it first on PATH; this finds it either way). */
export const NODE = fs.existsSync(devNode) ? devNode : process.execPath;

export const ADMIN = 'bench-admin-token-7d2f9c4e1a6b8035';
export const ENROLL = 'bench-enroll-secret-3e8a1c5f9b2d7064';

/** Proxies would route loopback requests elsewhere; the children never see them. */
function cleanEnv(extra = {}) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...extra };
  return env;
}

/** Spawns `args` and resolves once it printed `listening on <url>`. */
function startListening(args, { label, nodeArgs = [], env = {} }) {
  const child = spawn(NODE, [...nodeArgs, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-20_000)));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = /listening on (https?:\/\/[^\s]+)\n/.exec(out);
      if (!m) return;
      child.stdout.off('data', onData);
      const url = m[1];
      resolve({
        label,
        url,
        port: Number(new URL(url).port),
        pid: child.pid,
        child,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`${label} exited (${code}) before listening: ${err.slice(-2000)}`)));
  });
}

/**
 * `ccfleet server` on 127.0.0.1 (`port` 0: any). `rate`: --rate-limit. `nodeArgs`: e.g. --cpu-prof.
 * Retries while a just-closed port is still taken.
 */
export async function startServer({ store, policy, key, rate = '60/20', port = 0, nodeArgs = [], bundle = BUNDLE }) {
  const args = [bundle, 'server', '--listen', `127.0.0.1:${port}`, '--store', store, '--admin-token', ADMIN, '--enroll-secret', ENROLL, '--policy', policy, '--signing-key', key, '--rate-limit', rate, '--log-level', 'warn'];
  for (let attempt = 1; ; attempt++) {
    try {
      return await startListening(args, { label: 'ccfleet server', nodeArgs });
    } catch (e) {
      if (port === 0 || attempt >= 30 || !/EADDRINUSE|in use/i.test(e.message)) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function startFloor(mode, dbFile) {
  return startListening([path.join(repo, 'bench', 'server', 'floor.mjs'), mode, dbFile], { label: `floor (${mode})` });
}

/** Runs the load generator with `config` (written to a file in `dir`); resolves with its JSON result. */
export function runLoad(dir, config) {
  const file = path.join(dir, `load-${process.hrtime.bigint()}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(repo, 'bench', 'server', 'load.mjs'), file], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('exit', (code) => {
      fs.rmSync(file, { force: true });
      const line = out.trim().split('\n').pop();
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line));
      } catch (e) {
        reject(new Error(`load generator failed (${e.message}): ${err.slice(-2000)} ${out.slice(-500)}`));
      }
    });
  });
}
