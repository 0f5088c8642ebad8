// What "the machine ends compliant" means for the soak, checked after the churn has stopped and the daemon
// has had a moment of quiet. Two views, so neither the checker nor the daemon grades its own homework:
//
// A. `ccfleet check --json` (the daemon's own judgement, with the last policy):
//    1. exit 0, `compliant: true`, `policy` = the last version written;
//    2. its users are exactly the churn's active users (passwd line + existing home: new users picked up,
//       system accounts and the home-less uid left out), each `compliant: true`, each with the projects the
//       churn's `.claude.json` lists and that exist, and every selected model (home folder and each
//       project) one the policy maps (the values of its ANTHROPIC_DEFAULT_*_MODEL env, plus allowedModels);
//    3. every file it lists is `compliant` (or `missing` when the churn deleted it), except a file the churn left non-strict on purpose (a comment
//       or trailing comma: Claude Code ignores it whole, so it has no effect): `unparseable` with the
//       finding `not-strict-json` — and only those.
// B. The disk itself, for every settings file of every active user (user file; each live project's
//    settings.json and settings.local.json; the git root's settings.local.json of a monorepo package):
//    4. last written by the churn as strict JSON → strict JSON now, equal (parsed) to what the churn wrote
//       with every `removeKeys` path of the policy taken out: the keys removed, nothing else lost or changed;
//    5. last written non-strict (comment) → byte-identical: the daemon never touched it;
//    6. deleted by the churn, or never written → still absent (the daemon creates no user file);
//    7. the managed drop-in equals { env: policy.env, ...policy.managedSettings }; the other tool's
//       managed-settings.json and drop-in are byte-identical to what was put there;
//    8. no folder the churn deleted (a project, a project's `.claude`) exists again.
// (After the daemon stopped, the caller also checks that no temp file was left behind.)
import fs from 'node:fs';
import path from 'node:path';
import { DROPIN, FOREIGN_MANAGED } from './sandbox.mjs';
import { classifyText } from './world.mjs';

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isObj(a) || !isObj(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}

/** The settings value after the policy's removals (what the daemon must leave of the churn's last write). */
export function withoutRemovedKeys(value, removeKeys) {
  const out = JSON.parse(JSON.stringify(value));
  for (const key of removeKeys) {
    const p = key.split('.');
    let parent = out;
    for (const seg of p.slice(0, -1)) parent = isObj(parent) ? parent[seg] : undefined;
    if (isObj(parent)) delete parent[p[p.length - 1]];
  }
  return out;
}

export function mappedModels(policy) {
  const out = new Set(policy.allowedModels ?? []);
  for (const [k, v] of Object.entries(policy.env)) if (/^ANTHROPIC_DEFAULT_[A-Z]+_MODEL$/.test(k)) out.add(v);
  return out;
}

/** Returns { failures: string[], notes: {...} }. `check` is { code, json }. */
export function verifyMachine({ world, policy, check }) {
  const failures = [];
  const fail = (m) => failures.push(m);
  const removeKeys = policy.removeKeys ?? ['model'];
  const mapped = mappedModels(policy);
  const active = world.activeUsers();
  const activeNames = new Set(active.map((u) => u.name));
  const nonStrict = new Set();
  const expectedFiles = new Map(); // machine path → { kind, text }
  for (const u of active) {
    for (const f of world.settingsFiles(u)) {
      const text = world.files.get(f) ?? null;
      const kind = classifyText(text).kind;
      expectedFiles.set(f, { kind, text });
      if (kind === 'jsonc') nonStrict.add(f);
    }
  }

  // --- A. ccfleet check ----------------------------------------------------------------------------------
  const j = check.json;
  if (!j) fail(`check --json gave no JSON (exit ${check.code}): ${check.stderr?.slice(0, 500)}`);
  else {
    if (check.code !== 0 || j.compliant !== true) fail(`check: exit ${check.code}, compliant ${j.compliant}`);
    if (j.policy?.version !== policy.version || j.policy?.id !== policy.id) fail(`check: policy ${j.policy?.id} v${j.policy?.version}, expected ${policy.id} v${policy.version}`);
    if (j.managed?.compliant !== true) fail(`check: managed tier not compliant: ${JSON.stringify(j.managed?.findings)}`);
    const seen = new Set((j.users ?? []).map((u) => u.name));
    for (const n of activeNames) if (!seen.has(n)) fail(`check: user ${n} (passwd + home) not covered`);
    for (const n of seen) if (!activeNames.has(n)) fail(`check: unexpected user ${n}`);
    for (const u of j.users ?? []) {
      if (u.compliant !== true) fail(`check: user ${u.name} not compliant: ${JSON.stringify((u.findings ?? []).filter((f) => f.blocking))}`);
      if (!mapped.has(u.selectedModel?.resolved)) fail(`check: user ${u.name} selects ${u.selectedModel?.resolved} (${u.selectedModel?.source}), not a mapped model`);
      const wu = world.users.get(u.name);
      const want = new Set(wu ? world.liveProjects(wu) : []);
      const got = new Set((u.projects ?? []).map((p) => p.path));
      for (const p of want) if (!got.has(p)) fail(`check: project ${p} of ${u.name} not covered`);
      for (const p of got) if (!want.has(p)) fail(`check: unexpected project ${p} of ${u.name}`);
      for (const p of u.projects ?? []) {
        if (p.compliant === false) fail(`check: project ${p.path} of ${u.name} not compliant: ${JSON.stringify(p.findings)}`);
        if (!mapped.has(p.selectedModel?.resolved)) fail(`check: ${p.path} (${u.name}) selects ${p.selectedModel?.resolved} (${p.selectedModel?.source}), not a mapped model`);
      }
    }
    for (const f of j.files ?? []) {
      const codes = (f.findings ?? []).map((x) => x.code);
      if (f.state === 'compliant') continue;
      if (f.state === 'missing' && f.scope !== 'managed' && expectedFiles.get(f.path)?.kind === 'absent') continue; // absent, as the churn left it
      if (f.state === 'unparseable' && codes.includes('not-strict-json') && nonStrict.has(f.path)) continue;
      fail(`check: ${f.path} is ${f.state} (${codes.join(', ') || 'no findings'})${f.state === 'unparseable' ? ` — the churn's last write was ${expectedFiles.get(f.path)?.kind ?? 'untracked'}` : ''}`);
    }
    const listed = new Set((j.files ?? []).map((f) => f.path));
    for (const f of nonStrict) if (!listed.has(f)) fail(`check: the non-strict file ${f} is not reported`);
  }

  // --- B. the disk -----------------------------------------------------------------------------------------
  let strictFiles = 0;
  for (const [f, want] of expectedFiles) {
    const have = world.read(f);
    if (want.kind === 'absent') {
      if (have !== null) fail(`disk: ${f} exists but the churn deleted it or never wrote it`);
      continue;
    }
    if (want.kind === 'jsonc') {
      if (have !== want.text) fail(`disk: ${f} (non-strict, must be left alone) changed: ${JSON.stringify(have?.slice(0, 200))}`);
      continue;
    }
    if (want.kind === 'invalid') {
      fail(`disk: the churn's last write to ${f} was invalid JSON (a churn bug)`);
      continue;
    }
    strictFiles++;
    const c = classifyText(have);
    if (c.kind !== 'strict' && !(c.kind === 'empty' && want.kind === 'empty')) {
      fail(`disk: ${f} is ${c.kind}, expected strict JSON`);
      continue;
    }
    const expect = withoutRemovedKeys(classifyText(want.text).value, removeKeys);
    if (!deepEqual(c.value, expect)) fail(`disk: ${f} holds ${JSON.stringify(c.value)}, expected ${JSON.stringify(expect)} (the churn's last write without the removed keys)`);
  }
  const drop = classifyText(world.read(DROPIN));
  const wantDrop = { env: policy.env, ...(policy.managedSettings ?? {}) };
  if (drop.kind !== 'strict' || !deepEqual(drop.value, wantDrop)) fail(`disk: the managed drop-in is ${drop.kind}: ${JSON.stringify(drop.value)?.slice(0, 300)}`);
  for (const [f, text] of Object.entries(FOREIGN_MANAGED)) if (world.read(f) !== text) fail(`disk: another tool's managed file ${f} was changed`);
  //    8. a folder the churn deleted (a project, a `.claude`) is not there again: the daemon creates none.
  for (const d of world.deletedDirs) if (fs.existsSync(world.host(d))) fail(`disk: ${d} was deleted but exists again (holding ${JSON.stringify(fs.readdirSync(world.host(d)).slice(0, 5))})`);
  for (const r of world.resurrected) fail(`disk: ${r.dir} was deleted but existed again when the churn next wrote there (${r.seenAt}, holding ${JSON.stringify(r.holding)})`);

  return { failures, notes: { activeUsers: active.length, settingsFiles: expectedFiles.size, strictFiles, nonStrictFiles: nonStrict.size, liveProjects: active.reduce((s, u) => s + world.liveProjects(u).length, 0) } };
}

/** Temp files left in the sandbox (ccfleet's `.x.ccfleet-tmp-…` or the churn's `x.tmp.<pid>.<n>`), outside the state and log dirs. */
export function leftoverTemps(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== path.join(root, 'var')) walk(p);
      } else if (/\.ccfleet-tmp-|\.tmp\.\d+\.\d+$/.test(e.name)) out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out;
}
