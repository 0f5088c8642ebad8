/**
 * The agent ↔ server scenarios, run once per store (sqlite.test.ts, postgres.test.ts): one server process
 * at a time on one port (stopped, restarted on the same store, restarted with another signing key, then on
 * a new store), two fixture machines — A runs `ccfleet report --once`, B runs `ccfleet daemon` — and
 * everything asserted through the server's fleet API and /metrics. The steps build on each other, in order.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireReport } from '../../src/core/report-schema.js';
import type { DaemonProcess } from '../daemon/support/harness.js';
import { bearer, jsonHeaders, request } from '../server/fixtures.js';
import {
  ADMIN, agentMachine, DROPIN, ENROLL, fleet, type DeviceDetail, GATEWAY, headOnly, metrics, policyFile, restartServer, SETTINGS, signingKeys, spoolFile,
  startServer, storeFactory, waitFor, type AgentMachine, type Keys, type ServerProcess, type StoreFactory, type StoreKind,
} from './support.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const tokenOf = (a: AgentMachine) => (JSON.parse(fs.readFileSync(a.tokenFile, 'utf8')) as { token: string }).token;
const WAIT = { timeoutMs: 20_000 };

export function serverScenarios(kind: StoreKind): void {
  describe(`agent ↔ ccfleet server (${kind})`, () => {
    let dir: string;
    let stores: StoreFactory;
    let keys: Keys;
    let rogue: Keys;
    let p1: string;
    let p2: string;
    let s: ServerProcess;
    let a: AgentMachine;
    let b: AgentMachine;
    let daemon: DaemonProcess | null = null;
    let idA: string;
    let idB: string;
    const device = async (id: string) => {
      const d = await fleet.device(s, id);
      if (d === null) throw new Error(`the server does not know device ${id}`);
      return d;
    };
    type Ev = DeviceDetail['events'][number];
    /**
     * Waits until the device's events satisfy `pred`, then reads the device again: the answer's parts come from
     * separate queries (on PostgreSQL, separate connections), so only a read after the report's commit is
     * sure to show all of it.
     */
    const arrived = async (id: string, pred: (e: Ev) => boolean, what: string) => {
      await waitFor(async () => (await fleet.device(s, id))?.events.some(pred), what, { ...WAIT, detail });
      return device(id);
    };
    const detail = () => `--- server stderr ---\n${s.stderr().slice(-2000)}\n--- daemon stderr ---\n${daemon?.stderr().slice(-2000) ?? ''}`;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `ccfleet-e2e-server-${kind}-`));
      stores = storeFactory(kind, dir);
      keys = signingKeys(dir, 'fleet');
      rogue = signingKeys(dir, 'rogue');
      p1 = policyFile(dir, 1);
      p2 = policyFile(dir, 2);
      s = await startServer({ store: await stores.fresh(), policy: p1, key: keys.keyFile });
      a = agentMachine(s.url, keys.publicKey);
      b = agentMachine(s.url, keys.publicKey);
    });
    afterAll(async () => {
      daemon?.kill();
      await Promise.all([daemon?.exited, s?.kill()]);
      a?.cleanup();
      b?.cleanup();
      await stores?.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('report --once enrols (token 0600), fetches the signed policy, then gets a 304; the report is stored with its verdict, users and models', async () => {
      const r1 = await a.report();
      expect(r1.code, r1.stderr).toBe(0);
      expect(r1.json).toMatchObject({ outcome: 'delivered', delivered: 1, spooled: 0 });
      expect(fs.statSync(a.tokenFile).mode & 0o777).toBe(0o600);
      idA = a.deviceId();
      const m1 = await metrics(s);
      expect(m1.v('ccfleet_enrollments_total')).toBe(1);
      expect(m1.v('ccfleet_policy_requests_total', { result: 'full' })).toBe(1);
      expect(m1.v('ccfleet_policy_requests_total', { result: 'not_modified' })).toBe(0);

      const r2 = await a.report();
      expect(r2.code, r2.stderr).toBe(0);
      const m2 = await metrics(s);
      expect(m2.v('ccfleet_policy_requests_total', { result: 'not_modified' })).toBe(1); // the ETag remembered
      expect(m2.v('ccfleet_policy_requests_total', { result: 'full' })).toBe(1);
      expect(m2.v('ccfleet_enrollments_total')).toBe(1); // the token kept
      expect(m2.v('ccfleet_reports_received_total')).toBe(2);
      for (const secret of [tokenOf(a), ENROLL]) expect(r1.stdout + r1.stderr + r2.stdout + r2.stderr).not.toContain(secret);

      const devices = await fleet.devices(s);
      expect(devices).toHaveLength(1);
      expect(devices[0]).toMatchObject({ id: idA, compliant: false, state: 'noncompliant', policyId: 'e2e-fleet', policyVersion: 1, users: 2, nonCompliantUsers: 2, usedModels: ['claude-opus-4-5'] });
      expect(devices[0]!.models).toContain('claude-opus-4-5');
      const d = await device(idA);
      expect(d.history.map((h) => h.id)).toEqual([r2.json.id, r1.json.id]);
      const report = d.latest!.report;
      expect(report).toMatchObject({ id: r2.json.id, deviceId: idA, compliant: false, policy: { id: 'e2e-fleet', version: 1, digest: sha256(p1) } });
      expect(report.users.map((u) => u.name)).toEqual(['alice', 'bob']);
      expect(report.users[0]).toMatchObject({ name: 'alice', compliant: false, selectedModel: { resolved: 'claude-opus-4-5', source: 'user.model' }, lastUsedModel: { served: 'claude-opus-4-5' } });
      expect(report.files.find((f) => f.path === SETTINGS)).toMatchObject({ state: 'drifted' });
      expect(await fleet.summary(s)).toMatchObject({ devices: 1, reportsTotal: 2, byState: { compliant: 0, noncompliant: 1, stale: 0 } });
    });

    it('the daemon enrols and repairs; a /model drift is repaired at once and a report with the drift-repaired event arrives', async () => {
      daemon = await b.daemon();
      idB = await waitFor(() => fs.existsSync(b.tokenFile) && b.deviceId(), 'B enrolled');
      expect(fs.statSync(b.tokenFile).mode & 0o777).toBe(0o600);
      await waitFor(async () => (await fleet.device(s, idB))?.device.compliant === true, 'B compliant at the server', { ...WAIT, detail });

      const since = new Date().toISOString();
      const from = daemon.stderr().length;
      b.rewrite(SETTINGS, { theme: 'dark', model: 'claude-opus-4-5' });
      await daemon.waitLog(/repaired path=\/home\/alice\/\.claude\/settings\.json/, 'the daemon repairs the drift', from);
      expect(b.json(SETTINGS)).toEqual({ theme: 'dark' });
      const d = await arrived(idB, (e) => e.kind === 'drift-repaired' && e.path === SETTINGS && e.at >= since, 'a report with the drift-repaired event');
      expect(d.device).toMatchObject({ compliant: true, state: 'compliant', policyVersion: 1, models: ['opus-model'], usedModels: ['claude-opus-4-5'] });
      expect(d.latest!.report.users[0]).toMatchObject({ name: 'alice', compliant: true, selectedModel: { resolved: 'opus-model' }, lastUsedModel: { served: 'claude-opus-4-5' } });
      expect(b.json(DROPIN)).toMatchObject({ env: { ANTHROPIC_BASE_URL: GATEWAY(1) } });

      // The daemon's next policy fetch (SIGHUP) is a 304.
      const before = (await metrics(s)).v('ccfleet_policy_requests_total', { result: 'not_modified' });
      daemon.child.kill('SIGHUP');
      await waitFor(async () => (await metrics(s)).v('ccfleet_policy_requests_total', { result: 'not_modified' }) > before, 'a 304 for the daemon');
      expect(await fleet.summary(s)).toMatchObject({ devices: 2, byState: { compliant: 1, noncompliant: 1 } });
    });

    it('refuses bad bodies, wrong tokens and oversized requests with their codes, and stores nothing; the same body twice is a duplicate', async () => {
      const token = tokenOf(a);
      // "Nothing stored" is checked on A's own history: the daemon on B may report at any time.
      const { latest: stored, history } = await device(idA);
      const latest = stored!.report;
      const before = await fleet.summary(s);
      const post = (body: string, headers: Record<string, string>) => request(`${s.url}/v1/reports`, { method: 'POST', headers, body });
      const one = (o: Partial<WireReport>) => JSON.stringify({ ...latest, id: randomUUID(), ...o });
      const cases: Array<[string, Promise<{ status: number; json: any }>, number, string]> = [
        ['no token', post(one({}), jsonHeaders()), 401, 'unauthorized'],
        ['an unknown token', post(one({}), jsonHeaders('x'.repeat(43))), 401, 'unauthorized'],
        ['the admin token as a device token', post(one({}), jsonHeaders(ADMIN)), 401, 'unauthorized'],
        ['not JSON', post('{"schema": "ccfleet.report/v1",', jsonHeaders(token)), 400, 'bad-json'],
        ['not a report', post(JSON.stringify({ ...latest, id: randomUUID(), users: 'alice' }), jsonHeaders(token)), 400, 'invalid-body'],
        ['a raw key in the body', post(one({ hostname: 'sk-ant-api03-AAAABBBBCCCCDDDDEEEE' }), jsonHeaders(token)), 400, 'raw-secret'],
        ["another device's report", post(one({ deviceId: idB }), jsonHeaders(token)), 403, 'forbidden'],
        ['not application/json', post(one({}), { ...bearer(token), 'content-type': 'text/plain' }), 415, 'unsupported-media-type'],
        ['a 3 MiB report', headOnly(s.url, `POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${3 << 20}\r\n\r\n`), 413, 'too-large'],
        ['a 64 KiB enrolment', headOnly(s.url, `POST /v1/enroll HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${64 << 10}\r\n\r\n`), 413, 'too-large'],
        ['a wrong enrolment secret', request(`${s.url}/v1/enroll`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ enrollSecret: 'not-the-secret', deviceId: 'intruder' }) }), 401, 'unauthorized'],
        ['the policy without a token', request(`${s.url}/v1/policy`), 401, 'unauthorized'],
        ['the fleet API with a device token', request(`${s.url}/v1/fleet/devices`, { headers: bearer(token) }), 401, 'unauthorized'],
        ['the fleet API with the enrolment secret', request(`${s.url}/v1/fleet/summary`, { headers: bearer(ENROLL) }), 401, 'unauthorized'],
        ['a bad fleet query', request(`${s.url}/v1/fleet/devices?state=happy`, { headers: bearer(ADMIN) }), 400, 'invalid-query'],
      ];
      for (const [what, answer, status, code] of cases) {
        const r = await answer;
        expect({ what, status: r.status, code: r.json?.error?.code }).toEqual({ what, status, code });
      }
      expect((await device(idA)).history).toEqual(history);
      expect((await fleet.summary(s)).devices).toBe(before.devices);
      expect(await fleet.device(s, 'intruder')).toBeNull();
      const m = await metrics(s);
      for (const [reason, n] of [['unauthorized', 3], ['bad-json', 1], ['invalid-body', 1], ['raw-secret', 1], ['forbidden', 1], ['unsupported-media-type', 1], ['too-large', 1]] as const) {
        expect({ reason, n: m.v('ccfleet_reports_rejected_total', { reason }) }).toEqual({ reason, n });
      }

      // The same body twice: stored once, the second answer `duplicate`.
      const body = one({ createdAt: new Date(Date.parse(latest.createdAt) - 60_000).toISOString() });
      const first = await post(body, jsonHeaders(token));
      const again = await post(body, jsonHeaders(token));
      expect([first.status, first.json.status, again.status, again.json.status]).toEqual([202, 'stored', 202, 'duplicate']);
      const after = await device(idA);
      expect(after.history.map((h) => h.id).sort()).toEqual([...history.map((h) => h.id), first.json.id].sort());
      expect(after.latest!.id).toBe(latest.id); // an older report does not become the latest
      expect((await metrics(s)).v('ccfleet_reports_duplicate_total')).toBe(1);
    });

    it('spools through an outage (report --once exits 1; a daemon killed -9 with spooled reports); after the restart everything arrives once, and a redelivered file is a duplicate', async () => {
      const historyA = (await device(idA)).history.length;
      expect(await s.stop()).toBe(0);

      const runs = [await a.report(), await a.report(), await a.report()];
      for (const r of runs) expect({ code: r.code, outcome: r.json?.outcome }).toEqual({ code: 1, outcome: 'spooled' });
      const spooledIds = runs.map((r) => r.json.id as string);
      expect(a.spooled()).toEqual(spooledIds);
      const kept = spoolFile(a, spooledIds[0]!);
      const keptBytes = fs.readFileSync(kept);

      // The daemon repairs a drift while the server is down: its report waits in the spool; then kill -9.
      const since = new Date().toISOString();
      const from = daemon!.stderr().length;
      b.rewrite(SETTINGS, { theme: 'dark', model: 'opus' });
      await daemon!.waitLog(/reports not delivered/, 'a failed delivery', from);
      expect(b.json(SETTINGS)).toEqual({ theme: 'dark' });
      const spooledB = b.spooled();
      expect(spooledB.length).toBeGreaterThan(0);
      daemon!.child.kill('SIGKILL');
      expect((await daemon!.exited).signal).toBe('SIGKILL');
      daemon = null;

      s = await startServer(s.options); // the same port and store
      const r = await a.report();
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ outcome: 'delivered', delivered: 4, spooled: 0 });
      const history = (await device(idA)).history.map((h) => h.id);
      expect(history).toHaveLength(historyA + 4);
      expect(new Set(history).size).toBe(history.length);
      for (const id of [...spooledIds, r.json.id]) expect(history.filter((x) => x === id)).toEqual([id]);

      daemon = await b.daemon();
      await waitFor(async () => {
        const x = await fleet.device(s, idB);
        return x && spooledB.every((id) => x.history.some((h) => h.id === id));
      }, 'what the killed daemon spooled, delivered by the next one', { ...WAIT, detail });
      const d = await device(idB);
      expect(d.events.some((e) => e.kind === 'drift-repaired' && e.path === SETTINGS && e.at >= since)).toBe(true);
      for (const id of spooledB) expect(d.history.filter((h) => h.id === id)).toHaveLength(1);
      await waitFor(() => b.spooled().length === 0, "B's spool empty");

      // The same spooled file delivered a second time (a crash between the 202 and the delete): a duplicate.
      fs.writeFileSync(kept, keptBytes, { mode: 0o600 });
      const dupBefore = (await metrics(s)).v('ccfleet_reports_duplicate_total');
      const again = await a.report();
      expect(again.code, again.stderr).toBe(0);
      expect(again.json).toMatchObject({ delivered: 2, spooled: 0 });
      expect((await metrics(s)).v('ccfleet_reports_duplicate_total')).toBe(dupBefore + 1);
      const after = (await device(idA)).history.map((h) => h.id);
      expect(after).toHaveLength(historyA + 5);
      expect(after.filter((x) => x === spooledIds[0])).toHaveLength(1);
    });

    it('a policy signed with a key the agents do not pin is rejected; they keep enforcing the last-known-good one', async () => {
      s = await restartServer(s, { policy: p2, key: rogue.keyFile });
      const since = new Date().toISOString();
      const from = daemon!.stderr().length;
      daemon!.child.kill('SIGHUP');
      await daemon!.waitLog(/policy rejected \(unknown-key\)/, 'the daemon rejects the policy', from);
      const d = await arrived(idB, (e) => e.kind === 'policy-rejected' && e.at >= since && e.codes.includes('unknown-key'), 'a report with the policy-rejected event');
      expect(d.latest!.report.policy).toMatchObject({ id: 'e2e-fleet', version: 1, digest: sha256(p1) });
      expect(d.device).toMatchObject({ compliant: true, policyVersion: 1 });
      expect(b.json(DROPIN)).toMatchObject({ env: { ANTHROPIC_BASE_URL: GATEWAY(1) } });

      const r = await a.report();
      expect(r.code, r.stderr).toBe(0);
      expect((await device(idA)).latest!.report.policy).toMatchObject({ version: 1, digest: sha256(p1) });
      expect((await metrics(s)).v('ccfleet_policy_requests_total', { result: 'full' })).toBeGreaterThanOrEqual(2); // served, and refused by both
    });

    it('a server that forgot the devices (a new store) answers 401: the agents enrol again under their ids and deliver', async () => {
      const oldToken = tokenOf(a);
      s = await restartServer(s, { store: await stores.fresh(), policy: p1, key: keys.keyFile });
      expect(await fleet.devices(s)).toEqual([]);

      const r = await a.report();
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ outcome: 'delivered', delivered: 1 });
      expect(tokenOf(a)).not.toBe(oldToken);
      expect(fs.statSync(a.tokenFile).mode & 0o777).toBe(0o600);
      expect(a.deviceId()).toBe(idA);
      expect((await device(idA)).history.map((h) => h.id)).toEqual([r.json.id]);
      const m = await metrics(s);
      expect(m.v('ccfleet_enrollments_total')).toBe(1);
      expect(m.v('ccfleet_auth_failures_total', { kind: 'device' })).toBeGreaterThanOrEqual(1);

      // The daemon finds out at its next report.
      const from = daemon!.stderr().length;
      b.rewrite(SETTINGS, { theme: 'dark', model: 'haiku' });
      await daemon!.waitLog(/refused the device token \(401\)/, 'the daemon told 401', from);
      const d = await arrived(idB, (e) => e.kind === 'drift-repaired' && e.path === SETTINGS, 'B enrolled again, and its report with the repair');
      expect(d.device).toMatchObject({ id: idB, compliant: true });
      expect(b.deviceId()).toBe(idB);
      expect(await fleet.summary(s)).toMatchObject({ devices: 2 });
    });

    it('stops cleanly: the daemon and the server exit 0 on SIGTERM, and no secret is in their logs', async () => {
      const d = daemon!;
      daemon = null;
      expect((await d.stop('SIGTERM')).code).toBe(0);
      expect(await s.stop()).toBe(0);
      for (const secret of [ADMIN, ENROLL, tokenOf(a), tokenOf(b)]) {
        expect(s.stderr()).not.toContain(secret);
        expect(d.stderr()).not.toContain(secret);
      }
    });
  });
}
