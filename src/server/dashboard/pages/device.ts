/**
 * GET /devices/:id — one device from its latest report: host, OS, agent, policy, each user's verdict,
 * selected and really used model, Claude Code version and credential (kind + fingerprint), the files with
 * their state and findings, projects, recent events (drift repairs…) and the report history.
 */
import type { WireReport } from '../../../core/report-schema.js';
import type { Store } from '../../store/types.js';
import { at, when } from '../format.js';
import { html, type Html } from '../html.js';
import { eventsTable } from './overview.js';
import { findings, stateBadge, verdict } from '../parts.js';

type User = WireReport['users'][number];
type File = WireReport['files'][number];
type Detail = NonNullable<Awaited<ReturnType<Store['device']>>>;

const MAX_FILES = 500;
const MAX_PROJECTS = 50;
const dash = html`<span class="faint">\u2014</span>`;

function selected(m: User['selectedModel']): Html {
  return html`<strong class="mono">${m.resolved ?? 'unknown'}</strong><div class="sub">${m.requested !== null && m.requested !== m.resolved ? html`requested <span class="mono">${m.requested}</span> \u00b7 ` : null}from <span class="mono">${m.source}</span></div>`;
}

function lastUsed(u: User, nowMs: number): Html {
  const l = u.lastUsedModel;
  if (!l) return dash;
  const t = Date.parse(l.at);
  return html`<strong class="mono">${l.served}</strong><div class="sub">${l.requested !== null && l.requested !== l.served ? html`asked for <span class="mono">${l.requested}</span> \u00b7 ` : null}${Number.isFinite(t) ? when(new Date(t).toISOString(), nowMs) : l.at}${l.mapped ? ' \u00b7 mapped by the gateway' : null}</div>`;
}

function claude(u: User): Html {
  const c = u.claude;
  if (!c) return dash;
  return html`<span class="mono">${c.version ?? 'not installed'}</span>${c.outdated ? html` <span class="badge warn">outdated (min ${c.minVersion ?? '?'})</span>` : null}<div class="sub">${c.installMethod ?? ''}${c.installs.length > 1 ? ` \u00b7 ${c.installs.length} installs` : ''}</div>`;
}

function credential(u: User): Html {
  const a = u.auth;
  if (!a) return dash;
  return html`${a.credential}${a.fingerprint ? html` <span class="mono muted">${a.fingerprint}</span>` : null}<div class="sub">${a.source ? html`<span class="mono">${a.source}</span>` : 'no source'}${a.apiKeyResponse ? ` \u00b7 gateway ${a.apiKeyResponse}` : ''}${a.oauthLogin ? ' \u00b7 OAuth login present' : ''}</div>`;
}

function userBlock(u: User, nowMs: number): Html {
  const projects = u.projects.slice(0, MAX_PROJECTS);
  return html`<div class="user" data-user="${u.name}">
<div class="uh"><strong>${u.name}</strong>${verdict(u.compliant)}</div>
<div class="kv">
  <div><span class="k">Selected model</span>${selected(u.selectedModel)}</div>
  <div><span class="k">Last used model</span>${lastUsed(u, nowMs)}</div>
  <div><span class="k">Claude Code</span>${claude(u)}</div>
  <div><span class="k">Credential</span>${credential(u)}</div>
</div>
${u.findings.length > 0 ? html`<div class="kv"><div><span class="k">Findings</span>${findings(u.findings)}</div></div>` : null}
${projects.length === 0 ? null : html`<table class="projects"><thead><tr><th>Project</th><th>Verdict</th><th>Selected model</th><th>Findings</th></tr></thead><tbody>${projects.map(
    (p) => html`<tr><td class="mono wrap">${p.path}</td><td>${verdict(p.compliant)}</td><td>${selected(p.selectedModel)}</td><td>${findings(p.findings)}</td></tr>`,
  )}</tbody></table>${u.projects.length > MAX_PROJECTS ? html`<div class="sub">and ${u.projects.length - MAX_PROJECTS} more projects</div>` : null}`}
</div>`;
}

const PROBLEM: Record<File['state'], number> = { unparseable: 0, unsafe: 0, error: 0, drifted: 1, repaired: 2, missing: 3, compliant: 4 };

function filesTable(files: readonly File[]): Html {
  if (files.length === 0) return html`<div class="empty-state">No settings files reported.</div>`;
  const sorted = [...files].sort((a, b) => PROBLEM[a.state] - PROBLEM[b.state] || a.path.localeCompare(b.path)).slice(0, MAX_FILES);
  return html`<table class="files"><thead><tr><th>Path</th><th>Scope</th><th>User</th><th>State</th><th>Findings</th></tr></thead><tbody>${sorted.map(
    (f) => html`<tr data-state="${f.state}"><td class="mono wrap">${f.path}</td><td>${f.scope}</td><td>${f.user ?? dash}</td><td><span class="badge ${f.state}">${f.state}</span></td><td>${findings(f.findings)}</td></tr>`,
  )}</tbody></table>${files.length > MAX_FILES ? html`<div class="faint pad">and ${files.length - MAX_FILES} more files</div>` : null}`;
}

function historyTable(history: Detail['history'], nowMs: number): Html {
  if (history.length === 0) return html`<div class="empty-state">No reports yet.</div>`;
  return html`<table class="history"><thead><tr><th>Created</th><th>Received</th><th>Verdict</th><th class="num">Repairs</th><th class="num">Events</th><th>Report id</th></tr></thead><tbody>${history.map(
    (h) => html`<tr><td>${at(h.createdAt)}</td><td>${when(h.receivedAt, nowMs)}</td><td>${verdict(h.compliant)}</td><td class="num">${h.repaired}</td><td class="num">${h.events}</td><td class="mono faint">${h.id}</td></tr>`,
  )}</tbody></table>`;
}

function facts(d: Detail, r: WireReport | null, nowMs: number): Html {
  const dev = d.device;
  const fact = (label: string, value: Html | string, cls = '') => html`<div class="${cls}"><span class="k">${label}</span>${value}</div>`;
  return html`<div class="kv facts">
${fact('Operating system', r ? html`${r.os.platform} ${r.os.arch}${r.os.release ? html` <span class="muted">${r.os.release}</span>` : null}` : (dev.platform ?? dash))}
${fact('Agent version', html`<span class="mono">${dev.agentVersion ?? '\u2014'}</span>`)}
${fact('Policy', r?.policy ? html`${r.policy.id} <span class="muted">v${r.policy.version}</span>${r.policy.digest ? html` <span class="mono faint" title="${r.policy.digest}">${r.policy.digest.slice(0, 12)}</span>` : null}` : html`<span class="faint">none applied</span>`)}
${fact('Managed tier', r ? html`${verdict(r.managed.compliant)} <span class="mono muted">${r.managed.dir}</span>${r.managed.findings.length > 0 ? html`<div>${findings(r.managed.findings)}</div>` : null}` : dash)}
${fact('Last report', html`${when(dev.lastReportAt, nowMs)}${dev.lastReportAt ? html` <span class="faint">\u00b7 ${at(dev.lastReportAt)}</span>` : null}`)}
${fact('Received', d.latest ? at(d.latest.receivedAt) : dash)}
${fact('Enrolled', at(dev.enrolledAt))}
${fact('Device id', html`<span class="mono">${dev.id}</span>`)}
${r && (r.eventsDropped > 0 || r.spoolDropped > 0) ? fact('Dropped by the agent', `${r.eventsDropped} events, ${r.spoolDropped} reports`, 'bad-text') : null}
</div>`;
}

export async function deviceBody(store: Store, now: Date, id: string): Promise<{ title: string; body: Html } | null> {
  const d = await store.device(id, 30, 30); // one snapshot: latest, history and events agree
  if (d === null) return null;
  const events = d.events;
  const nowMs = now.getTime();
  const r = d.latest?.report ?? null;
  const host = d.device.hostname || d.device.id;
  return {
    title: host,
    body: html`<div class="head"><h1 id="device-host">${host} ${stateBadge(d.device.state)}</h1><span class="sub"><a href="/devices">\u00ab All devices</a> \u00b7 <a href="/v1/fleet/devices/${encodeURIComponent(d.device.id)}">JSON</a></span></div>
${r === null ? html`<div class="notice">This device enrolled but has not sent a report yet.</div>` : null}
<section class="panel" id="facts"><h2>Device</h2>${facts(d, r, nowMs)}</section>
${r === null ? null : html`<section class="panel flush gap-top" id="users"><div class="row pad"><h2>Users (${r.users.length})</h2></div>${r.users.length === 0 ? html`<div class="empty-state">No users reported.</div>` : r.users.map((u) => userBlock(u, nowMs))}</section>
<section class="panel flush gap-top" id="files"><div class="row pad"><h2>Settings files (${r.files.length})</h2></div>${filesTable(r.files)}</section>`}
<section class="panel flush gap-top" id="events"><div class="row pad"><h2>Recent events</h2></div>${eventsTable(events, nowMs)}</section>
<section class="panel flush gap-top" id="history"><div class="row pad"><h2>Report history</h2></div>${historyTable(d.history, nowMs)}</section>`,
  };
}
