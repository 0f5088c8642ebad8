/**
 * The dashboard: server-rendered HTML pages for IT and security teams, plugged into the app as
 * `createApp({ …, dashboard: createDashboard({ secureCookies }) })`. No framework, no build step: template
 * functions that escape every value (html.ts), one stylesheet and one small script embedded in the bundle
 * and served under content-hash names, and the trend chart drawn as SVG on the server.
 *
 *   GET  /login  POST /login  POST /logout     the admin token → HttpOnly SameSite=Strict session cookie
 *                                              (Secure per `cookieSecure`; wrong tokens throttled per client)
 *   GET  /                                     overview (?range=24h|7d|30d)
 *   GET  /devices                              list: ?q= &state= &model= &user= &silent=<hours> &cursor=
 *   GET  /devices/:id                          one device (404 page for an unknown id)
 *   GET  /stale                                devices without a recent report
 *   GET  /assets/<name>-<hash>.<ext>           static, cached for a year
 * Pages need an admin (session cookie, or a Bearer admin token); without one: 303 to /login?next=….
 * Any other path returns false, so the app answers its JSON 404. Every page is `no-store` with a strict
 * CSP (script and style from 'self' only, no inline code, Trusted Types), X-Frame-Options DENY (respond.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCcfleetError } from '../../core/errors.js';
import type { DashboardContext, DashboardHandler } from '../state.js';
import { assetFor } from './assets/index.js';
import { PAGE_SIZE } from './filters.js';
import { html, type Html } from './html.js';
import { layout, type Section } from './layout.js';
import { deviceBody } from './pages/device.js';
import { devicesBody, staleBody } from './pages/devices.js';
import { getLogin, postLogin, postLogout } from './pages/login.js';
import { overviewBody, parseRange } from './pages/overview.js';
import { redirect, sendAsset, sendPage } from './respond.js';

export type CookieSecure = 'auto' | 'always' | 'never';

export interface DashboardOptions {
  /**
   * When the session cookie gets `Secure`: `auto` (default) when the request came over HTTPS — this
   * server's TLS, or `X-Forwarded-Proto: https` from a trusted proxy (AppDeps.trustProxy) —, `always`, `never`.
   */
  cookieSecure?: CookieSecure;
  /** Older form: true is `cookieSecure: 'always'`, false is `'never'`. */
  secureCookies?: boolean;
  /** Where store failures behind a page are logged (one line each). */
  log?: (line: string) => void;
  /** Devices per page in the lists (default 50). */
  pageSize?: number;
}

type Page = { title: string; section: Section; body: Html } | null;

const DEVICE_PATH = /^\/devices\/([^/]{1,400})$/;

function isPage(path: string): boolean {
  return path === '/' || path === '/devices' || path === '/stale' || DEVICE_PATH.test(path);
}

async function renderPage(ctx: DashboardContext, pageSize: number): Promise<Page> {
  const now = ctx.now();
  if (ctx.path === '/') return { title: 'Overview', section: 'overview', body: await overviewBody(ctx.store, now, parseRange(ctx.query.get('range'))) };
  if (ctx.path === '/devices') return { title: 'Devices', section: 'devices', body: await devicesBody(ctx.store, now, ctx.query, pageSize) };
  if (ctx.path === '/stale') return { title: 'Stale devices', section: 'stale', body: await staleBody(ctx.store, now, ctx.query, pageSize) };
  const m = DEVICE_PATH.exec(ctx.path);
  let id: string | null = null;
  try {
    id = m ? decodeURIComponent(m[1]!) : null;
  } catch {
    id = null;
  }
  const d = id !== null && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id) ? await deviceBody(ctx.store, now, id) : null;
  return d === null ? null : { ...d, section: 'devices' };
}

export function createDashboard(opts: DashboardOptions = {}): DashboardHandler {
  const mode: CookieSecure = opts.secureCookies === true ? 'always' : opts.secureCookies === false ? 'never' : (opts.cookieSecure ?? 'auto');
  const log = opts.log ?? (() => undefined);
  const pageSize = Math.max(1, Math.min(500, Math.floor(opts.pageSize ?? PAGE_SIZE)));

  return async (req: IncomingMessage, res: ServerResponse, ctx: DashboardContext): Promise<boolean> => {
    const method = req.method ?? 'GET';
    const path = ctx.path;
    const readOnly = method === 'GET' || method === 'HEAD';
    const secure = mode === 'always' || (mode === 'auto' && ctx.client.https);

    if (path.startsWith('/assets/')) {
      const a = assetFor(path);
      if (a === undefined) return false;
      if (!readOnly) return notAllowed(ctx, method);
      sendAsset(res, a);
      return true;
    }
    if (path === '/login') {
      if (readOnly) return getLogin(req, res, ctx);
      if (method === 'POST') return postLogin(req, res, ctx, secure);
      return notAllowed(ctx, method);
    }
    if (path === '/logout') return method === 'POST' ? postLogout(req, res, ctx, secure) : notAllowed(ctx, method);
    if (!isPage(path)) return false;
    if (!readOnly) return notAllowed(ctx, method);
    const bearer = ctx.admin.presented(req) === 'bearer';
    const wait = bearer ? ctx.adminThrottle.check('bearer') : 0;
    if (wait > 0) {
      ctx.sendError('rate-limited', `too many wrong admin tokens from this address; retry in ${wait} s`, ['retry-after', String(wait)]);
      return true;
    }
    if (!ctx.admin.authenticate(req)) {
      if (bearer) ctx.adminThrottle.failed();
      const q = ctx.query.toString();
      redirect(res, path === '/' && q === '' ? '/login' : `/login?${new URLSearchParams({ next: q === '' ? path : `${path}?${q}` }).toString()}`);
      return true;
    }

    const now = ctx.now();
    let page: Page;
    try {
      page = await renderPage(ctx, pageSize);
    } catch (e) {
      if (isCcfleetError(e) && e.code === 'INVALID_QUERY') {
        sendPage(res, 400, layout({ title: 'Bad link', section: 'none', now, body: problem('This link is not valid any more', `${e.message}. Start again from the first page.`, path) }));
        return true;
      }
      log(`dashboard ${path}: store error: ${(e as Error)?.message ?? String(e)}`);
      sendPage(res, 503, layout({ title: 'Unavailable', section: 'none', now, body: problem('The store is not answering', 'The server cannot read its database right now. Try again in a moment.', path) }), { 'retry-after': '5' });
      return true;
    }
    if (page === null) {
      sendPage(res, 404, layout({ title: 'Not found', section: 'devices', now, body: problem('No such device', 'This server has no device with that id.', '/devices') }));
      return true;
    }
    sendPage(res, 200, layout({ ...page, now }));
    return true;
  };
}

function problem(title: string, text: string, back: string): Html {
  return html`<div class="head"><h1>${title}</h1></div><div class="panel"><p>${text}</p><p><a href="${back.startsWith('/') ? back : '/'}">Back</a></p></div>`;
}

function notAllowed(ctx: DashboardContext, method: string): true {
  ctx.sendError('method-not-allowed', `${method.slice(0, 16)} is not allowed here`);
  return true;
}
