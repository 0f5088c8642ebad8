/** Numbers and times as the dashboard shows them (times in UTC; the script adds local-time tooltips). */
import { html, type Html } from './html.js';

export function percent(ratio: number | null, digits = 0): string {
  if (ratio === null || !Number.isFinite(ratio)) return '\u2014';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export const count = (n: number): string => n.toLocaleString('en-US');

/** `2025-01-31 14:05 UTC` */
export function utc(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `just now`, `12 min ago`, `5 h ago`, `3 d ago` (or `in …` for a time ahead of the server's clock). */
export function ago(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.round((nowMs - t) / 1000);
  const a = Math.abs(s);
  const text = a < 60 ? null : a < 3600 ? `${Math.floor(a / 60)} min` : a < 172_800 ? `${Math.floor(a / 3600)} h` : `${Math.floor(a / 86_400)} d`;
  if (text === null) return 'just now';
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** A <time> element: relative text, UTC in the tooltip (the script replaces it with local time). */
export function when(iso: string | null, nowMs: number): Html {
  if (iso === null) return html`<span class="faint">never</span>`;
  return html`<time datetime="${iso}" title="${utc(iso)}">${ago(iso, nowMs)}</time>`;
}

/** A <time> element showing the UTC time itself. */
export function at(iso: string | null): Html {
  if (iso === null) return html`<span class="faint">\u2014</span>`;
  return html`<time datetime="${iso}" class="nowrap">${utc(iso)}</time>`;
}
