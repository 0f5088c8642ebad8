/**
 * HTML templates with escaping by default. Hostnames, paths, user names, model ids and findings come from
 * agents and are untrusted: every value interpolated into `html\`…\`` is escaped (& < > " ' `), unless it is
 * already an `Html` (the result of another template). Arrays are joined, each element treated the same
 * way; null, undefined and false render nothing.
 *
 *   html`<td title="${path}">${path}</td>`      // both escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
 *
 * Rules the templates follow so escaping is enough: every attribute value is quoted; an href or src
 * always starts with a literal "/" written in the template (built with `href()`), so no value can choose a
 * scheme; nothing untrusted goes into a <script>, <style>, event attribute or `style` attribute.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(v: Value): string {
  if (v instanceof Html) return v.text;
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup written by this module (never agent data). */
export const raw = (s: string): Html => new Html(s);

/** A same-origin link: `/path` + query (empty values left out). The result still goes through escaping. */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`dashboard links are same-origin paths: ${path}`);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}

/** The device page's path for an id (ids are [A-Za-z0-9._:-], encoded anyway). */
export const devicePath = (id: string): string => `/devices/${encodeURIComponent(id)}`;
