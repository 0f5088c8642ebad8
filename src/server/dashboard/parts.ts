/** Pieces several pages share: state badges, findings, the device table and its pager. */
import type { DeviceRow, DeviceState } from '../store/types.js';
import { devicePath, href, html, type Html } from './html.js';
import { when } from './format.js';

export const STATE_LABEL: Record<DeviceState, string> = { compliant: 'Compliant', noncompliant: 'Non-compliant', stale: 'Stale' };

export const stateBadge = (s: DeviceState): Html => html`<span class="badge ${s}">${STATE_LABEL[s]}</span>`;

export const verdict = (ok: boolean): Html => (ok ? html`<span class="badge ok">compliant</span>` : html`<span class="badge bad">non-compliant</span>`);

export interface FindingLike {
  code: string;
  key?: string | undefined;
  message?: string | undefined;
  blocking?: boolean | undefined;
}

export function findings(list: readonly FindingLike[], limit = 20): Html {
  if (list.length === 0) return html`<span class="faint">\u2014</span>`;
  const shown = list.slice(0, limit).map(
    (f) => html`<span class="finding${f.blocking === false ? ' soft' : ''}"><code>${f.code}</code>${f.key ? html` <span class="mono muted">${f.key}</span>` : null}${f.message ? html` \u2014 ${f.message}` : null}</span>`,
  );
  return html`${shown}${list.length > limit ? html`<span class="finding faint">and ${list.length - limit} more</span>` : null}`;
}

function modelList(models: readonly string[]): Html {
  if (models.length === 0) return html`<span class="faint">\u2014</span>`;
  return html`${models.map((m, i) => html`${i > 0 ? ', ' : ''}<a class="mono" href="${href('/devices', { model: m })}">${m}</a>`)}`;
}

export function deviceTable(rows: readonly DeviceRow[], nowMs: number): Html {
  return html`<table class="devices">
<thead><tr><th>Host</th><th>State</th><th class="num">Users</th><th>Selected models</th><th>Used models</th><th>Policy</th><th>Agent</th><th>Platform</th><th>Last report</th></tr></thead>
<tbody>${rows.map(
    (d) => html`<tr data-device="${d.id}">
<td><a href="${devicePath(d.id)}"><strong>${d.hostname || d.id}</strong></a><div class="faint mono">${d.id}</div></td>
<td>${stateBadge(d.state)}</td>
<td class="num">${d.users}${d.nonCompliantUsers > 0 ? html` <span class="badge bad" title="non-compliant users">${d.nonCompliantUsers} \u2717</span>` : null}</td>
<td>${modelList(d.models)}</td>
<td>${modelList(d.usedModels)}</td>
<td class="nowrap">${d.policyId === null ? html`<span class="faint">\u2014</span>` : html`${d.policyId} <span class="muted">v${d.policyVersion ?? '?'}</span>`}</td>
<td class="mono">${d.agentVersion ?? '\u2014'}</td>
<td>${d.platform ?? '\u2014'}</td>
<td class="nowrap">${when(d.lastReportAt, nowMs)}</td>
</tr>`,
  )}</tbody>
</table>`;
}

/** "Next page" (the store's cursor) and "First page" links that keep the filters. */
export function pager(path: string, params: Record<string, string | undefined>, shown: number, nextCursor: string | null, onLaterPage: boolean): Html {
  return html`<div class="pager">
<span class="muted">${shown} device${shown === 1 ? '' : 's'} on this page</span>
<span>${onLaterPage ? html`<a href="${href(path, params)}" rel="first">\u00ab First page</a>` : null}${onLaterPage && nextCursor ? ' \u00b7 ' : null}${nextCursor ? html`<a href="${href(path, { ...params, cursor: nextCursor })}" rel="next">Next page \u00bb</a>` : null}</span>
</div>`;
}
