// Settings content and the many ways people and tools format it: Claude Code's 2-space JSON, compact
// one-liners, CRLF, a UTF-8 BOM, tabs — and the non-strict forms Claude Code ignores whole (a `//`
// comment, a trailing comma).
import { MODELS } from './world.mjs';

const TOOLS = ['Bash(npm test)', 'Bash(git status)', 'Read', 'Edit', 'Bash(make lint)', 'WebFetch(domain:docs.example.com)'];

/** Some of the keys people really have in their settings (never one the policy removes). */
export function otherKeys(rng) {
  const o = {};
  if (rng.chance(0.6)) o.theme = rng.pick(['dark', 'light', 'dark-daltonized']);
  if (rng.chance(0.5)) o.permissions = { allow: [rng.pick(TOOLS), rng.pick(TOOLS)].filter((t, i, a) => a.indexOf(t) === i) };
  if (rng.chance(0.3)) o.env = { DEBUG: rng.pick(['0', '1']) };
  if (rng.chance(0.2)) o.includeCoAuthoredBy = rng.chance(0.5);
  if (rng.chance(0.2)) o.cleanupPeriodDays = rng.int(7, 60);
  return o;
}

/** One edit of the kind a person makes: a theme, a permission, a debug flag. */
export function editOtherKey(rng, o) {
  switch (rng.int(0, 4)) {
    case 0:
      o.theme = rng.pick(['dark', 'light', 'dark-daltonized']);
      break;
    case 1: {
      const p = typeof o.permissions === 'object' && o.permissions !== null && !Array.isArray(o.permissions) ? o.permissions : (o.permissions = {});
      const allow = Array.isArray(p.allow) ? p.allow : (p.allow = []);
      const t = rng.pick(TOOLS);
      if (allow.includes(t)) allow.splice(allow.indexOf(t), 1);
      else allow.push(t);
      break;
    }
    case 2: {
      const env = typeof o.env === 'object' && o.env !== null && !Array.isArray(o.env) ? o.env : (o.env = {});
      env.DEBUG = env.DEBUG === '1' ? '0' : '1';
      break;
    }
    case 3:
      o.includeCoAuthoredBy = !o.includeCoAuthoredBy;
      break;
    default:
      o.cleanupPeriodDays = rng.int(7, 60);
  }
  return o;
}

export const pickModel = (rng) => rng.pick(MODELS);

/** A strict JSON rendering in one of the styles found on real machines. */
export function renderStrict(rng, obj, style = rng.pick(['claude', 'claude', 'claude', 'compact', 'crlf', 'bom', 'tabs'])) {
  switch (style) {
    case 'compact':
      return JSON.stringify(obj);
    case 'crlf':
      return `${JSON.stringify(obj, null, 2).replace(/\n/g, '\r\n')}\r\n`;
    case 'bom':
      return `\ufeff${JSON.stringify(obj, null, 2)}\n`;
    case 'tabs':
      return `${JSON.stringify(obj, null, '\t')}\n`;
    default:
      return `${JSON.stringify(obj, null, 2)}\n`; // what Claude Code writes: 2-space JSON
  }
}

/** Valid JSONC but not strict JSON: Claude Code ignores the whole file (and the daemon must leave it alone). */
export function renderNonStrict(rng, obj) {
  const pretty = JSON.stringify(obj, null, 2);
  if (Object.keys(obj).length > 0 && rng.chance(0.4)) return `${pretty.replace(/\n}$/, ',\n}')}\n`; // trailing comma
  const note = rng.pick(['// from the team wiki', '// TODO: ask IT about the gateway', '/* pinned by hand */']);
  return `${pretty.replace(/^\{/, `{\n  ${note}`)}\n`.replace('{\n  ' + note + '}', '{\n  ' + note + '\n}');
}
