/**
 * GET / — the fleet at a glance: compliance ratio, its trend (24h/7d/30d), devices by state, users, the
 * model distribution (selected vs really used), drift repairs in 24 h, devices needing attention and
 * recent events.
 */
import type { Store } from '../../store/types.js';
import { modelBars, stateBar } from '../bars.js';
import { trendChart } from '../chart.js';
import { count, percent, when } from '../format.js';
import { devicePath, href, html, type Html } from '../html.js';
import { deviceTable } from '../parts.js';

export const RANGES = {
  '24h': { hours: 24, bucket: 'hour', label: '24 h' },
  '7d': { hours: 168, bucket: 'day', label: '7 days' },
  '30d': { hours: 720, bucket: 'day', label: '30 days' },
} as const;
export type Range = keyof typeof RANGES;

export const parseRange = (v: string | null): Range => (v !== null && Object.hasOwn(RANGES, v) ? (v as Range) : '7d');

type FleetEvent = Awaited<ReturnType<Store['events']>>[number];

/** Hostnames of the devices the events name (at most `max` lookups). */
async function hostnames(store: Store, events: readonly FleetEvent[], max = 25): Promise<Map<string, string>> {
  const ids = [...new Set(events.map((e) => e.deviceId))].slice(0, max);
  const found = await Promise.all(ids.map(async (id) => [id, (await store.device(id, 0))?.device.hostname ?? ''] as const));
  return new Map(found.filter(([, h]) => h !== ''));
}

export function eventsTable(events: readonly FleetEvent[], nowMs: number, names?: Map<string, string>): Html {
  if (events.length === 0) return html`<div class="empty-state">No events reported yet.</div>`;
  return html`<table class="events">
<thead><tr><th>When</th>${names ? html`<th>Device</th>` : null}<th>Event</th><th>User</th><th>Path</th><th>Details</th></tr></thead>
<tbody>${events.map(
    (e) => html`<tr>
<td class="nowrap">${when(e.at, nowMs)}</td>
${names ? html`<td><a href="${devicePath(e.deviceId)}">${names.get(e.deviceId) ?? e.deviceId}</a></td>` : null}
<td><span class="badge ${e.kind === 'drift-repaired' ? 'repaired' : /failed|rejected|expired|unreachable|degraded|contested/.test(e.kind) ? 'bad' : 'neutral'}">${e.kind}</span></td>
<td>${e.user ?? html`<span class="faint">\u2014</span>`}</td>
<td class="mono wrap">${e.path ?? ''}</td>
<td>${e.codes.length > 0 ? html`<code>${e.codes.join(', ')}</code> ` : null}${e.message ?? ''}</td>
</tr>`,
  )}</tbody></table>`;
}

export async function overviewBody(store: Store, now: Date, range: Range): Promise<Html> {
  const nowMs = now.getTime();
  const r = RANGES[range];
  const [summary, trend, events, attention] = await Promise.all([
    store.summary(),
    store.trend({ since: new Date(nowMs - r.hours * 3_600_000).toISOString(), bucket: r.bucket }),
    store.events({ limit: 12 }),
    store.devices({ state: 'noncompliant', limit: 8 }),
  ]);
  const names = await hostnames(store, events);
  const judged = summary.byState.compliant + summary.byState.noncompliant;
  const ratioClass = summary.complianceRatio === null ? '' : summary.complianceRatio >= 0.95 ? 'ok' : summary.complianceRatio >= 0.8 ? 'warn' : 'bad';

  return html`<div class="head"><h1>Fleet overview</h1><span class="sub">${count(summary.devices)} enrolled devices \u00b7 ${count(summary.reportsTotal)} reports received</span></div>
<div class="grid kpis">
  <div class="panel kpi ${ratioClass}" id="kpi-compliance"><div class="v">${percent(summary.complianceRatio)}</div><div class="l">compliant \u00b7 ${summary.byState.compliant} of ${judged} reporting devices</div></div>
  <div class="panel kpi" id="kpi-devices"><div class="v">${count(summary.devices)}</div><div class="l">devices \u00b7 ${summary.byState.stale} stale</div></div>
  <div class="panel kpi ${summary.byState.noncompliant > 0 ? 'bad' : ''}" id="kpi-noncompliant"><div class="v">${count(summary.byState.noncompliant)}</div><div class="l">non-compliant devices</div></div>
  <div class="panel kpi" id="kpi-users"><div class="v">${count(summary.users)}</div><div class="l">users \u00b7 <span class="${summary.nonCompliantUsers > 0 ? 'bad-text' : ''}">${summary.nonCompliantUsers} non-compliant</span></div></div>
  <div class="panel kpi" id="kpi-repairs"><div class="v">${count(summary.driftRepairs24h)}</div><div class="l">drift repairs in 24 h</div></div>
</div>
<section class="panel gap-top" id="states">
  <h2>Devices by state</h2>
  ${stateBar(summary.byState)}
</section>
<div class="grid two gap-top">
  <section class="panel" id="trend">
    <div class="row"><h2>Compliance trend</h2><span class="tabs">${(Object.keys(RANGES) as Range[]).map(
      (k) => html`<a href="${href('/', { range: k })}" class="${k === range ? 'on' : ''}">${RANGES[k].label}</a>`,
    )}</span></div>
    ${trendChart(trend, r.bucket)}
    <div class="faint small">Share of reporting devices whose last report in each ${r.bucket} was compliant (UTC).</div>
  </section>
  <section class="panel" id="models">
    <h2>Models: selected vs really used</h2>
    ${modelBars(summary)}
  </section>
</div>
<section class="panel flush gap-top" id="attention">
  <div class="row pad"><h2>Needs attention</h2>${attention.nextCursor ? html`<a href="${href('/devices', { state: 'noncompliant' })}">All non-compliant devices \u00bb</a>` : null}</div>
  ${attention.devices.length === 0 ? html`<div class="empty-state">Every reporting device is compliant.</div>` : deviceTable(attention.devices, nowMs)}
</section>
<section class="panel flush gap-top" id="events">
  <div class="row pad"><h2>Recent events</h2></div>
  ${eventsTable(events, nowMs, names)}
</section>`;
}
