/**
 * The dashboard's static files, embedded in the bundle (the server ships as one file) and named by their
 * content hash, so they can be cached forever: a new build changes the name.
 *   /assets/app-<hash>.css   /assets/app-<hash>.js   /assets/icon-<hash>.svg
 */
import { createHash } from 'node:crypto';
import { SCRIPT } from './script.js';
import { CSS } from './style.js';

export interface Asset {
  path: string;
  type: string;
  body: Buffer;
}

/** The ccfleet mark: a shield with a check (also the favicon). */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="20" height="20"><path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5z" fill="#3b6fe0"/><path d="m8 12 3 3 5-6" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

function asset(name: string, ext: string, type: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}-${hash}.${ext}`, type, body };
}

export const ASSETS = {
  css: asset('app', 'css', 'text/css; charset=utf-8', CSS),
  js: asset('app', 'js', 'text/javascript; charset=utf-8', SCRIPT),
  icon: asset('icon', 'svg', 'image/svg+xml', ICON_SVG),
} as const;

const byPath = new Map<string, Asset>(Object.values(ASSETS).map((a) => [a.path, a]));

export const assetFor = (path: string): Asset | undefined => byPath.get(path);
