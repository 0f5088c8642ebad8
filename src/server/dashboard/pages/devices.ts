/**
 * GET /devices — the device list: search (hostname or id), filters (state, model, user, silent for), pages
 * through the store's cursor. GET /stale — the devices that stopped reporting, oldest news last.
 */
import type { Store } from '../../store/types.js';
import { filterParams, hasFilters, parseFilters, SILENT_CHOICES, STATES, storeQuery, PAGE_SIZE, type Filters } from '../filters.js';
import { count } from '../format.js';
import { href, html, type Html } from '../html.js';
import { deviceTable, pager, STATE_LABEL } from '../parts.js';

function option(value: string, label: string, selected: string | undefined): Html {
  return html`<option value="${value}"${value === (selected ?? '') ? html` selected` : null}>${label}</option>`;
}

function filterForm(f: Filters, models: readonly string[]): Html {
  const modelChoices = f.model !== undefined && !models.includes(f.model) ? [f.model, ...models] : models;
  return html`<form class="filters" method="get" action="/devices" data-autosubmit role="search">
<label>Search<input type="search" name="q" value="${f.q ?? ''}" placeholder="hostname or device id" maxlength="256"></label>
<label>State<select name="state">${option('', 'Any state', f.state)}${STATES.map((s) => option(s, STATE_LABEL[s], f.state))}</select></label>
<label>Model<select name="model">${option('', 'Any model', f.model)}${modelChoices.map((m) => option(m, m, f.model))}</select></label>
<label>User<input type="text" name="user" value="${f.user ?? ''}" placeholder="user name" maxlength="256"></label>
<label>No report for<select name="silent">${option('', 'any time', f.silent)}${SILENT_CHOICES.map(([h, l]) => option(h, `\u2265 ${l}`, f.silent))}</select></label>
<button class="btn" type="submit">Apply</button>
${hasFilters(f) ? html`<a class="btn ghost" href="/devices">Clear</a>` : null}
</form>`;
}

export async function devicesBody(store: Store, now: Date, query: URLSearchParams, pageSize = PAGE_SIZE): Promise<Html> {
  const { filters, cursor, ignored } = parseFilters(query);
  const [page, summary] = await Promise.all([store.devices(storeQuery(filters, cursor, now.getTime(), pageSize)), store.summary()]);
  const models = [...new Set([...Object.keys(summary.modelsSelected), ...Object.keys(summary.modelsUsed)])].sort();
  return html`<div class="head"><h1>Devices</h1><span class="sub">${count(summary.devices)} enrolled \u00b7 ${summary.byState.compliant} compliant \u00b7 ${summary.byState.noncompliant} non-compliant \u00b7 ${summary.byState.stale} stale</span></div>
${ignored.length > 0 ? html`<div class="notice">Ignored filter${ignored.length === 1 ? '' : 's'} with an unexpected value: ${ignored.join(', ')}.</div>` : null}
${filterForm(filters, models)}
<section class="panel flush" id="device-list">
${page.devices.length === 0 ? html`<div class="empty-state">${hasFilters(filters) ? 'No device matches these filters.' : 'No device has enrolled yet.'}</div>` : deviceTable(page.devices, now.getTime())}
${pager('/devices', filterParams(filters), page.devices.length, page.nextCursor, cursor !== undefined)}
</section>`;
}

export async function staleBody(store: Store, now: Date, query: URLSearchParams, pageSize = PAGE_SIZE): Promise<Html> {
  const cursor = query.get('cursor') || undefined;
  const [page, summary] = await Promise.all([store.devices({ state: 'stale', limit: pageSize, ...(cursor ? { cursor } : {}) }), store.summary()]);
  return html`<div class="head"><h1>Stale devices</h1><span class="sub">${summary.byState.stale} device${summary.byState.stale === 1 ? '' : 's'} without a report for longer than the server's stale threshold</span></div>
<div class="notice info">A stale device is not judged: it is left out of the compliance ratio until it reports again. Typical causes: the laptop is off or offline, the agent was removed, or its reports cannot reach this server.</div>
<section class="panel flush" id="stale-list">
${page.devices.length === 0 ? html`<div class="empty-state">No stale devices: every device reported recently.</div>` : deviceTable(page.devices, now.getTime())}
${pager('/stale', {}, page.devices.length, page.nextCursor, cursor !== undefined)}
</section>
<p><a href="${href('/devices', { state: 'stale' })}">Filter the stale devices in the device list \u00bb</a></p>`;
}
