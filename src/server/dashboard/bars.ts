/**
 * Bars as inline SVG (widths are SVG attributes, so the CSP needs no inline styles): the fleet's devices by
 * state as one stacked bar, and the model distribution — users per model, selected vs really used.
 */
import type { DeviceState, FleetSummary } from '../store/types.js';
import { href, html, type Html } from './html.js';
import { count } from './format.js';
import { STATE_LABEL } from './parts.js';

const pct = (n: number) => `${(n * 100).toFixed(3)}%`;

export function stateBar(byState: Record<DeviceState, number>): Html {
  const order: DeviceState[] = ['compliant', 'noncompliant', 'stale'];
  const total = order.reduce((s, k) => s + byState[k], 0);
  let x = 0;
  const rects =
    total === 0
      ? html`<rect class="s-none" x="0" y="0" width="100%" height="100%"/>`
      : order.map((k) => {
          const w = byState[k] / total;
          const r = html`<rect class="s-${k}" x="${pct(x)}" y="0" width="${pct(w)}" height="100%"><title>${STATE_LABEL[k]}: ${byState[k]}</title></rect>`;
          x += w;
          return r;
        });
  return html`<svg class="statebar" role="img" aria-label="Devices by state">${rects}</svg>
<div class="legend">${order.map(
    (k) => html`<a href="${href('/devices', { state: k })}" data-state="${k}"><span class="dot ${k}"></span>${STATE_LABEL[k]} <span class="n">${count(byState[k])}</span></a>`,
  )}</div>`;
}

/** One row per model (most users first): a bar for users selecting it, one for users who really used it. */
export function modelBars(s: Pick<FleetSummary, 'modelsSelected' | 'modelsUsed'>, limit = 12): Html {
  const models = [...new Set([...Object.keys(s.modelsSelected), ...Object.keys(s.modelsUsed)])];
  const sel = (m: string) => (Object.hasOwn(s.modelsSelected, m) ? s.modelsSelected[m]! : 0);
  const used = (m: string) => (Object.hasOwn(s.modelsUsed, m) ? s.modelsUsed[m]! : 0);
  models.sort((a, b) => sel(b) + used(b) - (sel(a) + used(a)) || a.localeCompare(b));
  if (models.length === 0) return html`<div class="empty-state">No model data reported yet.</div>`;
  const max = Math.max(1, ...models.map((m) => Math.max(sel(m), used(m))));
  const shown = models.slice(0, limit);
  return html`<div class="legend"><span><span class="dot sel"></span>Selected (users)</span><span><span class="dot used"></span>Really used (users)</span></div>
<table class="bars">${shown.map(
    (m) => html`<tr data-model="${m}">
<td class="m"><a class="mono" href="${href('/devices', { model: m })}" title="${m}">${m}</a></td>
<td><svg role="img" aria-label="${m}: selected by ${sel(m)}, used by ${used(m)}">
<rect class="sel" x="0" y="2" height="8" rx="2" width="${pct((0.86 * sel(m)) / max)}"/><text class="axis" x="${pct((0.86 * sel(m)) / max + 0.01)}" y="10" font-size="10">${sel(m)}</text>
<rect class="used" x="0" y="13" height="8" rx="2" width="${pct((0.86 * used(m)) / max)}"/><text class="axis" x="${pct((0.86 * used(m)) / max + 0.01)}" y="21" font-size="10">${used(m)}</text>
</svg></td>
</tr>`,
  )}</table>${models.length > limit ? html`<div class="faint">and ${models.length - limit} more models</div>` : null}`;
}
