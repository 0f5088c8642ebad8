/**
 * What ccfleet reads from a user's `.claude.json` (never writes): the project keys, the answers to the
 * API-key prompt, whether an OAuth login is present and how Claude Code was installed. Tolerant: Claude Code
 * rewrites this file constantly, so a half-written or odd file yields what can be read, never an error.
 * The answers are kept only as the 20-character suffixes Claude Code itself stores.
 */
import { parse as parseJsonc } from 'jsonc-parser';

export interface ClaudeJsonFacts {
  state: 'ok' | 'absent' | 'unreadable';
  projectKeys: string[];
  approvedKeySuffixes: string[];
  rejectedKeySuffixes: string[];
  oauthLogin: boolean;
  installMethod: string | null;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readClaudeJson(text: string | null): ClaudeJsonFacts {
  const none: ClaudeJsonFacts = { state: 'absent', projectKeys: [], approvedKeySuffixes: [], rejectedKeySuffixes: [], oauthLogin: false, installMethod: null };
  if (text === null) return none;
  const body = text.replace(/^\ufeff/, '');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = parseJsonc(body, [], { allowTrailingComma: true });
  }
  if (!isRecord(value)) return { ...none, state: 'unreadable' };
  const responses = isRecord(value.customApiKeyResponses) ? value.customApiKeyResponses : {};
  return {
    state: 'ok',
    projectKeys: isRecord(value.projects) ? Object.keys(value.projects) : [],
    approvedKeySuffixes: strings(responses.approved),
    rejectedKeySuffixes: strings(responses.rejected),
    oauthLogin: isRecord(value.oauthAccount),
    installMethod: typeof value.installMethod === 'string' ? value.installMethod : null,
  };
}

/** The part of a key Claude Code records for the prompt's answer: its last 20 characters. */
export const keySuffix = (key: string): string => key.slice(-20);
