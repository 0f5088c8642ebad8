/** Human output of check / repair / status. The JSON output is the report itself. */
import type { MachineReport } from '../agent/report-types.js';
import type { Finding } from '../core/types.js';
import { table } from './table.js';

/**
 * Findings in a few words: one code with many keys collapses to `code ×N`; a managed conflict our drop-in
 * wins is marked as such (it is reported, not a failure).
 */
const what = (fs: Finding[]): string => {
  const groups = new Map<string, string[]>();
  for (const f of fs) {
    if (f.code === 'model-allowed') continue;
    const label = f.code === 'managed-conflict' && f.blocking === false ? 'managed-conflict (ours wins)' : f.code;
    const keys = groups.get(label) ?? [];
    if (!keys.includes(f.key ?? '')) groups.set(label, [...keys, f.key ?? '']);
  }
  const parts = [...groups].map(([label, keys]) => (keys.length > 2 ? `${label} ×${keys.length}` : keys.map((k) => (k ? `${label} ${k}` : label)).join(', ')));
  return parts.join(', ') || '-';
};

/** Non-blocking findings about a user's Claude Code rather than a file (src/core/facts-*.ts); claude-not-found stays in the JSON only. */
const FACT_CODES = new Set(['claude-outdated', 'key-rejected', 'key-unapproved', 'credential-ambiguous', 'model-override-used']);

/** A file that carries a blocking finding is not shown as fine, whatever its state word says. */
const stateOf = (f: { state: string; compliant: boolean }) => (f.state === 'compliant' && !f.compliant ? 'NOT OK' : f.state);

const model = (m: { requested: string | null; resolved: string | null; source: string }) =>
  `${m.resolved ?? '?'}${m.requested && m.requested !== m.resolved ? ` (${m.requested})` : ''} ← ${m.source}`;

/**
 * The table of check / repair / repair --dry-run. For a dry run, `compliantNow` is the verdict of the
 * machine as it is (the report itself is what repair would leave).
 */
export function renderCheck(r: MachineReport, compliantNow?: boolean): string {
  const rows: string[][] = [];
  for (const f of r.files) {
    if (f.scope !== 'managed') continue;
    rows.push(['(machine)', f.path, stateOf(f), what(f.findings), '']);
  }
  for (const u of r.users) {
    const mine = r.files.filter((f) => f.user === u.name);
    mine.forEach((f, i) => rows.push([i === 0 ? u.name : '', f.path, stateOf(f), what(f.findings), i === 0 ? model(u.selectedModel) : '']));
    for (const p of u.projects) {
      if (!p.compliant || p.selectedModel.resolved !== u.selectedModel.resolved) rows.push(['', `${p.path} (session)`, p.compliant ? 'ok' : 'NOT OK', what(p.findings.filter((f) => f.blocking)), model(p.selectedModel)]);
    }
    if (!u.compliant && u.findings.some((f) => f.blocking)) rows.push(['', '~ (session)', 'NOT OK', what(u.findings.filter((f) => f.blocking)), '']);
    const notes = u.findings.filter((f) => FACT_CODES.has(f.code));
    if (notes.length > 0) rows.push(['', '(installs, credential, usage)', 'note', what(notes), u.lastUsedModel ? `last used ${u.lastUsedModel.served}` : '']);
  }
  const word = (c: boolean) => (c ? 'COMPLIANT' : 'NOT COMPLIANT');
  const verdict =
    r.mode !== 'dry-run' || compliantNow === undefined ? word(r.compliant)
    : compliantNow ? 'COMPLIANT (nothing to repair)'
    : `NOT COMPLIANT now; repair would leave it ${word(r.compliant)}`;
  const s = r.summary;
  const head = `${verdict} — policy ${r.policy.id} v${r.policy.version} (${r.mode}${r.mode === 'dry-run' ? ', nothing written' : ''}) on ${r.platform}: ${s.users} user(s), ${s.files} file(s), ${s.repaired} ${r.mode === 'dry-run' ? 'to repair' : 'repaired'}, ${s.unsafe} unsafe, ${s.unparseable} unparseable, ${s.errors} error(s)`;
  const machine = [
    ...r.managed.findings.filter((f) => f.blocking).map((f) => `machine: ${f.code} ${f.key ?? ''} ${f.message ?? ''}`),
    ...r.files
      .filter((f) => f.scope === 'managed' && f.role !== 'ccfleet-dropin')
      .flatMap((f) => f.findings.filter((x) => x.blocking).map((x) => `machine: ${f.path}: ${x.code} ${x.key ?? ''} ${x.message ?? ''}`)),
  ].map((l) => l.replace(/\s+/g, ' ').trimEnd());
  return [head, ...machine, '', table(['USER', 'FILE', 'STATE', 'WHAT IS WRONG', 'SELECTED MODEL'], rows, { keepEnd: [1] })].join('\n') + '\n';
}

/** A user's installs, credential and last model used, in words (status). */
function factLines(u: MachineReport['users'][number]): string[] {
  const c = u.claude;
  const kind = c.installs.find((i) => i.version === c.version)?.method;
  const version = c.version ? `Claude Code ${c.version}${kind ? ` (${kind})` : ''}` : c.installs.length > 0 ? 'Claude Code (version unknown)' : 'Claude Code: no install found';
  const min = c.outdated === true ? ` — older than the policy's minimum ${c.minVersion}` : c.outdated === false ? ` (minimum ${c.minVersion})` : '';
  const installs = c.installs.length > 1 ? `; installs: ${c.installs.map((i) => `${i.method} ${i.version ?? '?'} ${i.path}`).join(', ')}` : '';
  const a = u.auth;
  const cred = `credential: ${a.credential}${a.source ? ` from ${a.source}` : ''}${a.fingerprint ? ` (${a.fingerprint})` : ''}${a.apiKeyHelper ? ` (${a.apiKeyHelper})` : ''}`;
  const prompt = a.apiKeyResponse ? `; API key prompt: ${a.apiKeyResponse}` : '';
  const used = u.lastUsedModel;
  const last = used
    ? `last model used: ${used.served}${used.requested && used.requested !== used.served ? ` (asked ${used.requested})` : ''} at ${used.at}${used.cwd ? ` in ${used.cwd}` : ''}${used.mapped ? '' : ' — NOT a model the policy maps'}`
    : `last model used: none found${u.usage.note ? ` (${u.usage.note})` : ''}`;
  return [`  ${version}${min}${installs}`, `  ${cred}${prompt}; OAuth login: ${a.oauthLogin ? 'yes' : 'no'}`, `  ${last}`];
}

export function renderStatus(r: MachineReport): string {
  const out: string[] = [`policy ${r.policy.id} v${r.policy.version} on ${r.platform} — ${r.compliant ? 'compliant' : 'NOT compliant'}`];
  out.push(`managed tier (${r.managed.dir}): ${r.managed.compliant ? 'as the policy wants' : 'NOT as the policy wants'}`);
  for (const f of r.files.filter((x) => x.scope === 'managed')) out.push(`  ${f.path}  [${stateOf(f)}] ${what(f.findings)}`);
  for (const u of r.users) {
    out.push('', `user ${u.name} — ${u.compliant ? 'compliant' : 'NOT compliant'} (home ${u.home}, config ${u.configDir})`);
    out.push(...factLines(u));
    for (const f of r.files.filter((x) => x.user === u.name)) out.push(`  file ${f.path}  [${f.scope}, ${stateOf(f)}] ${what(f.findings)}`);
    const sessions = [{ where: `${u.home} (no project settings)`, s: u }, ...u.projects.map((p) => ({ where: p.path, s: p }))];
    for (const { where, s } of sessions) {
      out.push(`  session in ${where}: model ${model(s.selectedModel)}${s.compliant ? '' : '  NOT OK: ' + what(s.findings.filter((f) => f.blocking))}`);
      for (const [k, v] of Object.entries(s.env ?? u.env)) out.push(`      ${k} = ${v ? `${v.value}  ← ${v.source}` : '(unset)'}`);
    }
  }
  return out.join('\n') + '\n';
}
