/**
 * Which credential a session's settings give Claude Code, in its own order (shared/reference/claude-code-facts.md,
 * docs/claude-code-wire-facts.md K01–K09): cloud provider > ANTHROPIC_AUTH_TOKEN > approved ANTHROPIC_API_KEY >
 * apiKeyHelper > CLAUDE_CODE_OAUTH_TOKEN > an OAuth login. Pure; values are compared in memory and only
 * fingerprints leave this function.
 */
import type { ClaudeJsonFacts } from './claude-json.js';
import { keySuffix } from './claude-json.js';
import type { AuthFacts, CredentialKind } from './facts-types.js';
import { fingerprint } from './fingerprint.js';
import { effectiveEnv, type Layer } from './model.js';
import type { Finding } from './types.js';

const CLOUD = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'];
const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export interface AuthResult {
  auth: AuthFacts;
  findings: Finding[];
}

/** The highest layer's `apiKeyHelper` (a scalar: the highest level that sets it wins). */
function helperOf(layers: readonly Layer[]): { value: string; label: string } | null {
  for (const l of layers) {
    const h = l.settings.apiKeyHelper;
    if (typeof h === 'string' && h.trim() !== '') return { value: h, label: l.label };
  }
  return null;
}

export function authFacts(layers: readonly Layer[], cj: ClaudeJsonFacts): AuthResult {
  const env = effectiveEnv(layers);
  const get = (k: string) => {
    const v = env.get(k);
    return v && v.value !== '' ? v : undefined;
  };
  const token = get('ANTHROPIC_AUTH_TOKEN');
  const apiKey = get('ANTHROPIC_API_KEY');
  const helper = helperOf(layers);
  const oauthToken = get('CLAUDE_CODE_OAUTH_TOKEN');
  const findings: Finding[] = [];

  let apiKeyResponse: AuthFacts['apiKeyResponse'] = null;
  if (apiKey) {
    const suffix = keySuffix(apiKey.value);
    apiKeyResponse = cj.rejectedKeySuffixes.includes(suffix) ? 'rejected' : cj.approvedKeySuffixes.includes(suffix) ? 'approved' : 'unanswered';
  }

  const base = { apiKeyResponse, oauthLogin: cj.oauthLogin, claudeJson: cj.state };
  const headers = {
    authorization: token ? 'auth-token' : helper ? 'api-key-helper' : null,
    xApiKey: apiKey ? 'api-key' : helper ? 'api-key-helper' : null,
  } satisfies AuthFacts['headers'];
  let auth: AuthFacts;
  const cloud = CLOUD.find((k) => truthy(get(k)?.value));
  if (cloud) auth = { ...base, credential: 'cloud-provider', source: env.get(cloud)!.label, fingerprint: null, headers: { authorization: null, xApiKey: null } };
  else if (token) auth = { ...base, credential: 'auth-token', source: token.label, fingerprint: fingerprint(token.value), headers };
  else if (apiKey && apiKeyResponse !== 'rejected') auth = { ...base, credential: 'api-key', source: apiKey.label, fingerprint: fingerprint(apiKey.value), headers };
  else if (helper) auth = { ...base, credential: 'api-key-helper', source: helper.label, fingerprint: null, apiKeyHelper: helper.value, headers };
  else if (oauthToken) auth = { ...base, credential: 'oauth-token', source: oauthToken.label, fingerprint: fingerprint(oauthToken.value), headers };
  else if (cj.oauthLogin) auth = { ...base, credential: 'oauth-login', source: 'claude.json', fingerprint: null, headers };
  else auth = { ...base, credential: 'none', source: null, fingerprint: null, headers };

  if (apiKey && apiKeyResponse === 'rejected') {
    findings.push({
      code: 'key-rejected', key: 'env.ANTHROPIC_API_KEY', blocking: false,
      message: `the user answered "No" to Claude Code's prompt for this key (${fingerprint(apiKey.value)}): interactive sessions do not send it${auth.credential === 'none' || auth.credential === 'oauth-login' ? ' and are "Not logged in"' : ` and use ${auth.credential} instead`}; prefer ANTHROPIC_AUTH_TOKEN or apiKeyHelper, which never prompt`,
    });
  } else if (apiKey && apiKeyResponse === 'unanswered' && !token) {
    findings.push({ code: 'key-unapproved', key: 'env.ANTHROPIC_API_KEY', blocking: false, message: 'the first interactive session asks whether to use this key, and its default answer is "No"' });
  }
  if (token && apiKey) findings.push({ code: 'credential-ambiguous', blocking: false, message: 'both ANTHROPIC_AUTH_TOKEN (Authorization) and ANTHROPIC_API_KEY (x-api-key) are sent; the gateway picks one' });
  return { auth, findings };
}

export type { CredentialKind };
