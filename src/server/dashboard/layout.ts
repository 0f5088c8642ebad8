/** The page shell: head (assets by hashed name), top bar with navigation and logout, footer. */
import { VERSION } from '../../cli/version.js';
import { ASSETS, ICON_SVG } from './assets/index.js';
import { html, raw, type Html } from './html.js';
import { utc } from './format.js';

export type Section = 'overview' | 'devices' | 'stale' | 'none';

function head(title: string): Html {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} \u00b7 ccfleet</title>
<link rel="icon" href="${ASSETS.icon.path}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS.css.path}">
<script src="${ASSETS.js.path}" defer></script>
</head>`;
}

const NAV: Array<[Exclude<Section, 'none'>, string, string]> = [
  ['overview', '/', 'Overview'],
  ['devices', '/devices', 'Devices'],
  ['stale', '/stale', 'Stale'],
];

export function layout(o: { title: string; section: Section; now: Date; body: Html }): Html {
  return html`<html lang="en">
${head(o.title)}
<body>
<header class="top">
  <a class="brand" href="/">${raw(ICON_SVG)}ccfleet</a>
  <nav>${NAV.map(([id, path, label]) => html`<a href="${path}" class="${o.section === id ? 'on' : ''}"${o.section === id ? raw(' aria-current="page"') : ''}>${label}</a>`)}</nav>
  <form method="post" action="/logout"><button type="submit">Log out</button></form>
</header>
<main>
${o.body}
<footer>ccfleet ${VERSION} \u00b7 rendered ${utc(o.now.toISOString())}</footer>
</main>
</body>
</html>`;
}

/** A page without the navigation (login, errors before login). */
export function bare(o: { title: string; body: Html }): Html {
  return html`<html lang="en">
${head(o.title)}
<body>
${o.body}
</body>
</html>`;
}
