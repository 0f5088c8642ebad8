/**
 * Lint rules for the gateway credential. Claude Code's order (claude-code-facts.md): cloud provider >
 * ANTHROPIC_AUTH_TOKEN (Authorization: Bearer, never prompts) > approved ANTHROPIC_API_KEY (x-api-key,
 * prompts "use this API key?" with default No) > apiKeyHelper > OAuth. forceLoginMethod/forceLoginOrgUUID
 * block all three gateway credentials.
 */
import { credentialFields, envValue, has, setting, type LintRule, type LintWarning } from './util.js';

const TOKEN_FIELDS = ['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY'] as const;

export const lintCredentials: LintRule = (policy) => {
  const out: LintWarning[] = [];
  const creds = credentialFields(policy);

  for (const name of TOKEN_FIELDS) {
    const value = policy.env[name];
    if (value === undefined) continue;
    const field = `env.${name}`;
    const why = placeholderReason(value);
    if (why) {
      out.push({
        code: 'placeholder-key',
        severity: 'error',
        field,
        message: `${name} ${why}: it looks like a placeholder, and every request would be rejected by the gateway. Fix: put a real Bifrost virtual key here, or leave it out and use managedSettings.apiKeyHelper.`,
      });
    } else if (value !== value.trim() || /\s/.test(value)) {
      const bearer = /^\s*(bearer|basic|token)\s/i.test(value);
      out.push({
        code: 'credential-malformed',
        severity: 'error',
        field,
        message: bearer
          ? `${name} starts with "${value.trim().split(/\s/)[0]!}": Claude Code adds the scheme itself, so the gateway would receive "Bearer Bearer \u2026". Fix: put only the key.`
          : `${name} contains white space (a stray space or line break), which makes the HTTP header invalid. Fix: put only the key.`,
      });
    }
  }
  const helper = setting(policy, 'apiKeyHelper');
  if (typeof helper === 'string') {
    const why = helperPlaceholderReason(helper);
    if (why) {
      out.push({
        code: 'placeholder-key',
        severity: 'error',
        field: 'managedSettings.apiKeyHelper',
        message: `apiKeyHelper ${why}: it looks like a placeholder, and Claude Code would fail to get a key. Fix: name the command your MDM installs, which prints the developer's Bifrost virtual key.`,
      });
    }
  }

  if (envValue(policy, 'ANTHROPIC_API_KEY') !== undefined) {
    const alsoToken = envValue(policy, 'ANTHROPIC_AUTH_TOKEN') !== undefined;
    out.push({
      code: 'api-key-prompt',
      severity: 'warning',
      field: 'env.ANTHROPIC_API_KEY',
      message:
        'ANTHROPIC_API_KEY makes interactive Claude Code ask every developer "Do you want to use this API key?" with No as the default; ' +
        'whoever presses Enter is left "Not logged in" (the answer is remembered in ~/.claude.json). ' +
        (alsoToken
          ? 'ANTHROPIC_AUTH_TOKEN is also set and wins anyway. Fix: remove ANTHROPIC_API_KEY.'
          : 'Fix: put the same key in env.ANTHROPIC_AUTH_TOKEN instead (sent as "Authorization: Bearer", which Bifrost accepts, and never prompts), or have managedSettings.apiKeyHelper print it.'),
    });
  }

  for (const key of ['forceLoginMethod', 'forceLoginOrgUUID']) {
    if (!has(policy.managedSettings, key) || creds.length === 0) continue;
    out.push({
      code: 'force-login-blocks-gateway',
      severity: 'error',
      field: `managedSettings.${key}`,
      message:
        `${key} forces a claude.ai / Console login and blocks gateway credentials, so the policy's ${creds.join(' and ')} would not be used and developers cannot reach the gateway. ` +
        `Fix: remove ${key} from managedSettings.`,
    });
  }

  if (typeof helper === 'string' && helper.trim() !== '') {
    const shadowing = TOKEN_FIELDS.filter((n) => envValue(policy, n) !== undefined);
    if (shadowing.length > 0) {
      out.push({
        code: 'api-key-helper-shadowed',
        severity: 'warning',
        field: 'managedSettings.apiKeyHelper',
        message: `Claude Code prefers ${shadowing.join(' and ')} over apiKeyHelper, so the helper never runs. Fix: keep one credential source \u2014 the helper, or the env variable.`,
      });
    }
  }

  if (creds.length === 0) {
    out.push({
      code: 'no-credential',
      severity: 'warning',
      field: 'env',
      message:
        'The policy supplies no gateway credential (no ANTHROPIC_AUTH_TOKEN, ANTHROPIC_API_KEY or managedSettings.apiKeyHelper). ' +
        'Each developer must bring their own key; anyone without one gets Claude Code\'s login screen, and a claude.ai login does not work against the gateway. ' +
        'Fix: set managedSettings.apiKeyHelper to a command that prints each developer\'s Bifrost virtual key, or env.ANTHROPIC_AUTH_TOKEN.',
    });
  }
  return out;
};

const PLACEHOLDER_WORDS = new Set(['your', 'changeme', 'replace', 'replaceme', 'placeholder', 'todo', 'fixme', 'dummy', 'example', 'sample', 'redacted', 'insert', 'fake']);
const PLACEHOLDER_VALUES = new Set(['test', 'key', 'token', 'secret', 'password', 'apikey', 'api-key', 'none', 'null', 'undefined', 'sk', 'sk-bf', 'sk-bf-']);

/** Why a credential value looks like a placeholder rather than a key; undefined when it looks real. */
export function placeholderReason(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return 'is empty';
  if (/^\$\{?[A-Za-z_]\w*\}?$/.test(v) || /\$\{[A-Za-z_]\w*\}/.test(v)) return `is "${v}" \u2014 settings values are not expanded like shell variables`;
  if (/<[^<>]*>/.test(v)) return `is "${v}", a <placeholder>`;
  if (/\.\.\.|\u2026/.test(v)) return `is "${v}", with "..." in it`;
  if (/change[-_ ]?me/i.test(v)) return `is "${v}"`;
  if (PLACEHOLDER_VALUES.has(v.toLowerCase())) return `is "${v}"`;
  const words = v.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const word = words.find((w) => PLACEHOLDER_WORDS.has(w));
  if (word) return `is "${v}" (contains "${word}")`;
  if (v.split(/[-_.:/]+/).some((seg) => /^(x{3,}|\*{3,}|0{6,})$/i.test(seg))) return `is "${v}", with a run of x / * / 0 standing in for the key`;
  if (/^(.)\1{5,}$/.test(v)) return `is "${v}"`;
  if (v.length < 8) return `is only ${v.length} characters long, too short to be a real key`;
  return undefined;
}

/** Placeholder shapes in an apiKeyHelper command (a path or command line, so no length rule). */
export function helperPlaceholderReason(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return 'is empty';
  if (/<[^<>]*>/.test(v)) return `is "${v}", with a <placeholder>`;
  if (/\/path\/to\//i.test(v)) return `is "${v}" ("/path/to/")`;
  if (/\.\.\.|\u2026/.test(v)) return `is "${v}", with "..." in it`;
  if (/change[-_ ]?me/i.test(v)) return `is "${v}"`;
  const word = v
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .find((w) => ['your', 'replace', 'replaceme', 'placeholder', 'todo', 'fixme'].includes(w));
  return word ? `is "${v}" (contains "${word}")` : undefined;
}
