/**
 * The compliance trend as an inline SVG line chart, drawn on the server (no script, no library): y is the
 * compliance ratio 0–100 %, x the store's buckets (evenly spaced). Buckets without reports leave a gap in
 * the line. Every bucket has a hover target whose <title> gives the time, the ratio and the device count.
 */
import type { TrendPoint } from '../store/types.js';
import { html, type Html } from './html.js';
import { percent } from './format.js';

const W = 760;
const H = 250;
const M = { left: 42, right: 14, top: 12, bottom: 26 };

const fx = (n: number) => n.toFixed(1);

function label(at: string, bucket: 'hour' | 'day', spanHours: number): string {
  const d = new Date(at);
  if (bucket === 'hour' && spanHours <= 48) return `${String(d.getUTCHours()).padStart(2, '0')}:00`;
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function isTick(at: string, i: number, n: number, bucket: 'hour' | 'day', spanHours: number): boolean {
  const d = new Date(at);
  if (bucket === 'hour' && spanHours <= 48) return d.getUTCHours() % 4 === 0;
  if (bucket === 'hour') return d.getUTCHours() === 0;
  return i % Math.max(1, Math.ceil(n / 8)) === 0;
}

export function trendChart(points: readonly TrendPoint[], bucket: 'hour' | 'day'): Html {
  const n = points.length;
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const x = (i: number) => M.left + (n <= 1 ? iw / 2 : (i * iw) / (n - 1));
  const y = (r: number) => M.top + (1 - r) * ih;
  const spanHours = n > 1 ? (Date.parse(points[n - 1]!.at) - Date.parse(points[0]!.at)) / 3_600_000 : 0;

  const grid = [0, 0.25, 0.5, 0.75, 1].map(
    (r) => html`<line class="grid-line" x1="${M.left}" x2="${W - M.right}" y1="${fx(y(r))}" y2="${fx(y(r))}"/><text class="axis" x="${M.left - 6}" y="${fx(y(r) + 4)}" text-anchor="end">${percent(r)}</text>`,
  );
  const ticks = points.map((p, i) =>
    isTick(p.at, i, n, bucket, spanHours) ? html`<text class="axis" x="${fx(x(i))}" y="${H - 8}" text-anchor="${x(i) > W - M.right - 24 ? 'end' : x(i) < M.left + 24 ? 'start' : 'middle'}">${label(p.at, bucket, spanHours)}</text>` : null,
  );

  // Runs of consecutive buckets with a value: one line (and area) each.
  const runs: number[][] = [];
  let run: number[] = [];
  points.forEach((p, i) => {
    if (p.complianceRatio === null) {
      if (run.length > 0) runs.push(run);
      run = [];
    } else run.push(i);
  });
  if (run.length > 0) runs.push(run);

  const ratio = (i: number) => points[i]!.complianceRatio ?? 0;
  const lines = runs.map((r) => {
    const d = r.map((i, k) => `${k === 0 ? 'M' : 'L'}${fx(x(i))} ${fx(y(ratio(i)))}`).join(' ');
    const area = r.length > 1 ? `${d} L${fx(x(r[r.length - 1]!))} ${fx(y(0))} L${fx(x(r[0]!))} ${fx(y(0))} Z` : null;
    return html`${area === null ? null : html`<path class="area" d="${area}"/>`}<path class="line" d="${d}"/>`;
  });
  const showAll = n <= 60;
  const dots = runs.flatMap((r) => (showAll || r.length === 1 ? r : [r[r.length - 1]!]).map((i) => html`<circle class="pt" cx="${fx(x(i))}" cy="${fx(y(ratio(i)))}" r="3"/>`));

  const step = n <= 1 ? iw : iw / (n - 1);
  const hits = points.map((p, i) => {
    const text = `${p.at.slice(0, bucket === 'hour' ? 16 : 10).replace('T', ' ')} UTC \u2014 ${p.complianceRatio === null ? 'no reports' : `${percent(p.complianceRatio, 1)} of ${p.devices} device${p.devices === 1 ? '' : 's'}`}`;
    return html`<rect class="hit" x="${fx(Math.max(M.left, x(i) - step / 2))}" y="${M.top}" width="${fx(Math.min(step, iw))}" height="${ih}"><title>${text}</title></rect>`;
  });
  const empty = runs.length === 0 ? html`<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">No reports in this period</text>` : null;

  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Fleet compliance over time" data-points="${n}">${grid}${ticks}${lines}${dots}${hits}${empty}</svg>`;
}
