/**
 * Login and logout. The admin token is typed into a form (never put in a URL), checked with
 * `admin.checkToken` (constant time), and exchanged for the HttpOnly SameSite=Strict session cookie; the
 * browser is then sent (303) to where it was going. Both POSTs pass the Origin/Referer check (csrf.ts).
 * Wrong tokens are throttled per client (ctx.adminThrottle: 5, then one every 30 s by default): while a
 * client is throttled, its attempts get 429 with Retry-After and are not checked. An empty form is not an
 * attempt.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardContext } from '../../state.js';
import { ICON_SVG } from '../assets/index.js';
import { crossSiteReason } from '../csrf.js';
import { readForm } from '../form.js';
import { html, raw } from '../html.js';
import { bare } from '../layout.js';
import { redirect, sendPage } from '../respond.js';

const FORM_LIMIT = 4096;

/** A same-origin path to return to after login, or '/' (never another host: no open redirect). */
export function safeNext(value: string | null | undefined): string {
  if (!value || value.length > 2048) return '/';
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return '/';
  if (value === '/login' || value.startsWith('/login?') || value.startsWith('/logout')) return '/';
  return value;
}

export function loginPage(o: { next: string; error?: string; status?: number }): ReturnType<typeof bare> {
  return bare({
    title: 'Log in',
    body: html`<div class="login">
  <div class="brandmark">${raw(ICON_SVG)}ccfleet</div>
  <div class="panel">
    <h1>Fleet dashboard</h1>
    <p>Sign in with an admin token of this server.</p>
    ${o.error ? html`<div class="notice err" role="alert">${o.error}</div>` : null}
    <form method="post" action="/login">
      <input type="hidden" name="next" value="${o.next}">
      <input type="text" name="username" value="admin" autocomplete="username" hidden>
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required autofocus spellcheck="false">
      <button class="btn" type="submit">Log in</button>
    </form>
  </div>
  <p class="faint small">Signed in already? <a href="${o.next}">Continue</a> \u2014 a link from another site does not carry the session.</p>
</div>`,
  });
}

export function messagePage(status: number, title: string, text: string, res: ServerResponse, extra: Record<string, string> = {}): true {
  sendPage(res, status, bare({ title, body: html`<div class="login"><div class="panel"><h1>${title}</h1><p>${text}</p><p><a href="/">Back to the dashboard</a></p></div></div>` }), extra);
  return true;
}

export function getLogin(req: IncomingMessage, res: ServerResponse, ctx: DashboardContext): true {
  const next = safeNext(ctx.query.get('next'));
  if (ctx.admin.authenticate(req)) {
    redirect(res, next);
    return true;
  }
  sendPage(res, 200, loginPage({ next }));
  return true;
}

export async function postLogin(req: IncomingMessage, res: ServerResponse, ctx: DashboardContext, secure: boolean): Promise<true> {
  const refused = crossSiteReason(req);
  if (refused !== null) return messagePage(403, 'Refused', `Log in from the dashboard's own page: ${refused}.`, res);
  const form = await readForm(req, FORM_LIMIT);
  if (form === 'gone') {
    res.destroy();
    return true;
  }
  if (form === 'too-large') return messagePage(413, 'Too large', 'The login form was larger than expected.', res, { connection: 'close' });
  if (form === 'wrong-type') return messagePage(415, 'Unsupported form', 'The login form must be sent as application/x-www-form-urlencoded.', res);
  const next = safeNext(form.get('next'));
  const token = form.get('token') ?? '';
  const wait = token === '' ? 0 : ctx.adminThrottle.check('login');
  if (wait > 0) {
    sendPage(res, 429, loginPage({ next, error: `Too many wrong tokens from your address. Try again in ${wait} seconds.` }), { 'retry-after': String(wait) });
    return true;
  }
  if (token === '' || !ctx.admin.checkToken(token)) {
    if (token !== '') ctx.adminThrottle.failed();
    sendPage(res, 401, loginPage({ next, error: 'That is not an admin token of this server.' }));
    return true;
  }
  redirect(res, next, { 'set-cookie': ctx.admin.sessionCookie({ secure }) });
  return true;
}

export function postLogout(req: IncomingMessage, res: ServerResponse, ctx: DashboardContext, secure: boolean): true {
  const refused = crossSiteReason(req);
  if (refused !== null) return messagePage(403, 'Refused', `Log out from the dashboard's own page: ${refused}.`, res);
  redirect(res, '/login', { 'set-cookie': ctx.admin.clearCookie({ secure }) });
  return true;
}
