import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceId } from '../../src/agent/device-id.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-devid-'));
  dirs.push(d);
  return path.join(d, 'state');
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('deviceId', () => {
  it('is made once (a UUID, 0600 in a 0700 folder) and kept', () => {
    const state = tmp();
    const a = deviceId(state);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(deviceId(state)).toBe(a);
    if (process.platform !== 'win32') {
      expect(fs.statSync(path.join(state, 'device-id')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(state).mode & 0o777).toBe(0o700);
    }
  });

  it('a tampered file is replaced; a symlink planted in its place is not followed', () => {
    const state = tmp();
    const a = deviceId(state);
    fs.writeFileSync(path.join(state, 'device-id'), 'garbage');
    const b = deviceId(state);
    expect(b).not.toBe(a);
    const target = path.join(path.dirname(state), 'elsewhere');
    fs.writeFileSync(target, '11111111-2222-3333-4444-555555555555\n');
    fs.rmSync(path.join(state, 'device-id'));
    fs.symlinkSync(target, path.join(state, 'device-id'));
    const c = deviceId(state);
    expect(c).not.toBe('11111111-2222-3333-4444-555555555555');
    expect(fs.readFileSync(target, 'utf8')).toBe('11111111-2222-3333-4444-555555555555\n'); // untouched
    expect(fs.lstatSync(path.join(state, 'device-id')).isSymbolicLink()).toBe(false);
  });
});
