/**
 * What the macOS package hands to launchd and to the MDM: the XML plist writer, the LaunchDaemon plist,
 * and the configuration profiles (agent config through managed preferences, PPPC Full Disk Access,
 * managed background item). Every document is parsed back with the agent's own plist reader; the agent
 * config profile goes the whole way an MDM sends it — compiled into /Library/Managed Preferences under
 * a temp root and loaded by the agent's config loader. Not installed on a Mac.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentConfigChannels } from '../../src/agent/config-sources/load.js';
import { parsePlist, type PlistValue as ParsedValue } from '../../src/agent/config-sources/plist.js';
import { CcfleetError } from '../../src/core/errors.js';
import { assertRootOnlyPath, launchdJob, launchdPlist, LAUNCHD_LABEL, LAUNCHD_PLIST_PATH } from '../../src/service/launchd-plist.js';
import { agentConfigProfile } from '../../src/ship/mobileconfig/agent-config.js';
import { loginItemsProfile } from '../../src/ship/mobileconfig/login-items.js';
import { cdhashRequirement, identifierRequirement, pppcProfile } from '../../src/ship/mobileconfig/pppc.js';
import { nameUuid, profileValue } from '../../src/ship/mobileconfig/profile.js';
import { buildProfiles, committedProfiles, SAMPLE_FILES } from '../../src/ship/mobileconfig/samples.js';
import { plistXml, PlistReal, PlistWriteError } from '../../src/ship/plist/write-xml.js';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-macos-profiles-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const enc = new TextEncoder();
const parse = (text: string) => parsePlist(enc.encode(text));
type Dict = { [k: string]: ParsedValue };

describe('XML plist writer', () => {
  it('writes every plist type and reads back equal', () => {
    const value = {
      s: 'a <b> & "c" \'d\' — ünï 𝄞',
      i: 42,
      neg: -7,
      big: 2n ** 40n,
      r: 1.5,
      whole: new PlistReal(3),
      t: true,
      f: false,
      d: new Date('2024-05-06T07:08:09.999Z'),
      data: Uint8Array.from([0, 1, 2, 253, 254, 255]),
      a: ['x', 1, [], {}],
      nested: { k: { deeper: ['y'] } },
      skipped: undefined,
    };
    const text = plistXml(value);
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n')).toBe(true);
    expect(text.endsWith('</dict>\n</plist>\n')).toBe(true);
    expect(text).toContain('<real>3</real>');
    expect(text).toContain('<date>2024-05-06T07:08:09Z</date>');
    expect(text).toContain('<data>AAEC/f7/</data>');
    expect(text).not.toContain('skipped');
    expect(parse(text)).toEqual({
      ...value,
      big: 2 ** 40,
      whole: 3,
      d: new Date('2024-05-06T07:08:09Z'),
      skipped: undefined,
    });
  });

  it('refuses what a Mac could not read back', () => {
    expect(() => plistXml({ bad: 'bell\u0007' })).toThrow(PlistWriteError);
    expect(() => plistXml({ bad: '\uD800 lone surrogate' })).toThrow(/XML cannot carry/);
    expect(() => plistXml(Number.NaN)).toThrow(/not finite/);
    expect(() => plistXml(new Date('nope'))).toThrow(/invalid date/);
    const cyclic: { [k: string]: unknown } = {};
    cyclic.self = cyclic;
    expect(() => plistXml(cyclic as never)).toThrow(/contains itself/);
    expect(() => plistXml(new Map() as never)).toThrow(/cannot write a Map/);
  });
});

describe('LaunchDaemon plist', () => {
  it('runs the installed binary as `daemon`, at load, kept alive, throttled, Standard, logging under /Library/Logs/ccfleet', () => {
    const job = parse(launchdPlist()) as Dict;
    expect(job).toEqual({
      Label: 'com.ccfleet.agent',
      ProgramArguments: ['/Library/Application Support/ccfleet/bin/ccfleet', 'daemon'],
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 30,
      ProcessType: 'Standard',
      WorkingDirectory: '/',
      StandardOutPath: '/Library/Logs/ccfleet/daemon.stderr.log',
      StandardErrorPath: '/Library/Logs/ccfleet/daemon.stderr.log',
    });
    expect(LAUNCHD_LABEL).toBe('com.ccfleet.agent');
    expect(LAUNCHD_PLIST_PATH).toBe('/Library/LaunchDaemons/com.ccfleet.agent.plist');
    expect(launchdJob()).toEqual(job);
  });

  it('never names a path a user can write, and refuses one', () => {
    const paths = JSON.stringify(parse(launchdPlist())).match(/"\/[^"]*"/g) ?? [];
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p).not.toMatch(/^"\/(Users|tmp|private\/tmp|var\/tmp|Volumes)\b/);
    expect(() => launchdPlist({ binary: '/Users/alice/bin/ccfleet' })).toThrow(/under \/Users, which users can write/);
    expect(() => launchdPlist({ logDir: '/tmp/ccfleet' })).toThrow(/under \/tmp/);
    expect(() => launchdPlist({ logDir: '/private/var/tmp' })).toThrow(/users can write/);
    expect(() => launchdPlist({ binary: 'ccfleet' })).toThrow(/absolute/);
    expect(() => launchdPlist({ binary: '/Library/../Users/x' })).toThrow(/normalised/);
    expect(() => launchdPlist({ throttleInterval: 0 })).toThrow(/throttleInterval/);
    expect(assertRootOnlyPath('/opt/ccfleet/ccfleet', 'binary')).toBe('/opt/ccfleet/ccfleet');
    expect(parse(launchdPlist({ binary: '/opt/ccfleet/ccfleet', args: ['daemon', '--config', '/opt/ccfleet/agent.json'] }))).toMatchObject({
      ProgramArguments: ['/opt/ccfleet/ccfleet', 'daemon', '--config', '/opt/ccfleet/agent.json'],
    });
  });
});

describe('configuration profiles', () => {
  const all = buildProfiles(['a'.repeat(40), 'B'.repeat(40)]);

  it('committed samples in installers/macos/profiles are exactly what the builders write (regenerate: node installers/macos/build.mjs --update-samples)', () => {
    const committed = committedProfiles();
    const dir = path.join(root, 'installers/macos/profiles');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.mobileconfig')).sort()).toEqual(Object.keys(committed).sort());
    for (const [name, text] of Object.entries(committed)) expect(fs.readFileSync(path.join(dir, name), 'utf8'), name).toBe(text);
  });

  it('are Configuration profiles whose every payload has type, identifier, a unique upper-case UUID and version 1', () => {
    const uuids = new Set<string>();
    const identifiers = new Set<string>();
    const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;
    for (const [name, text] of Object.entries(all)) {
      const p = parse(text) as Dict;
      expect(p, name).toMatchObject({ PayloadType: 'Configuration', PayloadVersion: 1, PayloadScope: 'System', PayloadRemovalDisallowed: true });
      const payloads = [p, ...(p.PayloadContent as Dict[])];
      expect(payloads.length).toBeGreaterThan(1);
      for (const pl of payloads) {
        expect(typeof pl.PayloadType).toBe('string');
        expect(pl.PayloadVersion).toBe(1);
        expect(pl.PayloadUUID).toMatch(UUID);
        expect(pl.PayloadIdentifier).toMatch(/^com\.ccfleet\.profile\./);
        expect(typeof pl.PayloadDisplayName).toBe('string');
        uuids.add(pl.PayloadUUID as string);
        identifiers.add(pl.PayloadIdentifier as string);
      }
    }
    const count = Object.values(all).reduce((n, t) => n + 1 + ((parse(t) as Dict).PayloadContent as unknown[]).length, 0);
    expect(uuids.size).toBe(count);
    expect(identifiers.size).toBe(count);
    // Stable: the same profile twice is the same file (an MDM sees an update, not a new profile).
    expect(agentConfigProfile()).toBe(agentConfigProfile());
    expect(nameUuid('x')).toBe(nameUuid('x'));
    expect(nameUuid('x')).not.toBe(nameUuid('y'));
  });

  it('refuse duplicate identifiers and Payload* keys in payload content', () => {
    const pl = { type: 't', identifier: 'com.x.a', displayName: 'a', content: {} };
    expect(() => profileValue({ identifier: 'com.x', displayName: 'x', description: 'x', organization: 'x', payloads: [pl, pl] })).toThrow(/used twice/);
    expect(() => profileValue({ identifier: 'com.x', displayName: 'x', description: 'x', organization: 'x', payloads: [{ ...pl, content: { PayloadUUID: 'u' } }] })).toThrow(/bookkeeping/);
    expect(() => profileValue({ identifier: 'nodots', displayName: 'x', description: 'x', organization: 'x', payloads: [] })).toThrow(/reverse-DNS/);
  });

  it('agent config: compiled into managed preferences, the agent’s own loader reads it (Payload* bookkeeping ignored)', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
    const text = agentConfigProfile({ server: 'https://fleet.corp.example', enrollSecret: 's3cret', policyPublicKeys: [raw] });
    const payload = ((parse(text) as Dict).PayloadContent as Dict[])[0]!;
    expect(payload.PayloadType).toBe('com.ccfleet.agent');

    // What macOS writes to /Library/Managed Preferences/com.ccfleet.agent.plist: the payload's keys.
    const machineRoot = path.join(tmp, 'mac');
    const prefs = path.join(machineRoot, 'Library/Managed Preferences/com.ccfleet.agent.plist');
    fs.mkdirSync(path.dirname(prefs), { recursive: true });
    fs.writeFileSync(prefs, plistXml(payload as never));
    const deps = {
      platform: 'darwin' as const,
      configFile: '/Library/Application Support/ccfleet/agent.json',
      host: (p: string) => path.join(machineRoot, p),
      registry: () => {
        throw new Error('no registry on macOS');
      },
    };
    const loaded = loadAgentConfigChannels(undefined, deps as never);
    expect(loaded.config).toEqual({ server: 'https://fleet.corp.example', enrollSecret: 's3cret', policyPublicKeys: [raw] });
    expect(loaded.sources.server).toMatch(/^managed preferences .*com\.ccfleet\.agent\.plist$/);

    // The committed sample's placeholders are refused with the field named, never taken as a key.
    const sample = ((parse(fs.readFileSync(path.join(root, 'installers/macos/profiles', SAMPLE_FILES.agentConfig), 'utf8')) as Dict).PayloadContent as Dict[])[0]!;
    fs.writeFileSync(prefs, plistXml(sample as never));
    let err: unknown;
    try {
      loadAgentConfigChannels(undefined, deps as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CcfleetError);
    expect((err as CcfleetError).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toMatch(/policyPublicKeys/);
  });

  it('Full Disk Access: a path grant for the daemon with a code requirement; cdhash and identifier forms', () => {
    const grant = (text: string) =>
      (((parse(text) as Dict).PayloadContent as Dict[])[0]!.Services as Dict).SystemPolicyAllFiles as Dict[];
    const byIdentifier = grant(all[SAMPLE_FILES.fullDiskAccess]!);
    expect(byIdentifier).toEqual([
      {
        Identifier: '/Library/Application Support/ccfleet/bin/ccfleet',
        IdentifierType: 'path',
        CodeRequirement: 'identifier "com.ccfleet.agent"',
        StaticCode: false,
        Authorization: 'Allow',
        Comment: expect.any(String),
      },
    ]);
    expect(((parse(all[SAMPLE_FILES.fullDiskAccess]!) as Dict).PayloadContent as Dict[])[0]!.PayloadType).toBe('com.apple.TCC.configuration-profile-policy');
    expect(grant(all[SAMPLE_FILES.fullDiskAccessCdhash]!)[0]!.CodeRequirement).toBe(`cdhash H"${'a'.repeat(40)}" or cdhash H"${'b'.repeat(40)}"`);
    // The two variants are distinct profiles (both can be installed while switching from one to the other).
    expect((parse(all[SAMPLE_FILES.fullDiskAccessCdhash]!) as Dict).PayloadIdentifier).not.toBe((parse(all[SAMPLE_FILES.fullDiskAccess]!) as Dict).PayloadIdentifier);
    expect(cdhashRequirement(['c'.repeat(40), 'C'.repeat(40)])).toBe(`cdhash H"${'c'.repeat(40)}"`);
    expect(() => cdhashRequirement([])).toThrow(/at least one/);
    expect(() => cdhashRequirement(['abc'])).toThrow(/40 hex/);
    expect(() => identifierRequirement('a" or anchor apple')).toThrow(/cannot quote/);
    expect(grant(pppcProfile({ codeRequirement: 'identifier "x" and anchor apple generic', binary: '/opt/ccfleet/ccfleet' }))[0]).toMatchObject({ Identifier: '/opt/ccfleet/ccfleet' });
    expect(buildProfiles([])[SAMPLE_FILES.fullDiskAccessCdhash]).toBeUndefined();
  });

  it('managed background item: a Label rule for the daemon (com.apple.servicemanagement)', () => {
    const payload = ((parse(all[SAMPLE_FILES.backgroundItem]!) as Dict).PayloadContent as Dict[])[0]!;
    expect(payload.PayloadType).toBe('com.apple.servicemanagement');
    expect(payload.Rules).toEqual([{ RuleType: 'Label', RuleValue: 'com.ccfleet.agent', Comment: 'ccfleet LaunchDaemon' }]);
    expect(loginItemsProfile()).toBe(all[SAMPLE_FILES.backgroundItem]);
  });
});
