/**
 * The example policies (policies/*.jsonc) made runnable against the fake gateway: `env.ANTHROPIC_BASE_URL`
 * becomes the policy gateway's URL and `managedSettings.apiKeyHelper` (`/usr/local/bin/bifrost-virtual-key`
 * in the examples) the e2e helper (world.ts). Everything else is the example as shipped; a scenario may
 * transform it further. Also what the policy means on the wire: the credential header a user's request
 * must carry and the models it maps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, type ParseError } from 'jsonc-parser';
import { repoRoot } from '../../support/cli.js';
import { HELPER_PATH, helperKey } from './world.js';

export type ExamplePolicy = 'alias-routing' | 'anthropic' | 'bedrock' | 'vertex' | 'azure';
export const EXAMPLE_POLICIES: readonly ExamplePolicy[] = ['alias-routing', 'anthropic', 'bedrock', 'vertex', 'azure'];

export interface PolicyDoc {
  id: string;
  env: Record<string, string>;
  managedSettings?: Record<string, unknown>;
  removeKeys?: string[];
  allowedModels?: string[];
  enforceIn?: 'managed' | 'user';
  users?: { configDirs?: Record<string, string> };
  [k: string]: unknown;
}

export function examplePolicy(name: ExamplePolicy, gatewayUrl: string): PolicyDoc {
  const file = path.join(repoRoot, 'policies', `${name}.jsonc`);
  const errors: ParseError[] = [];
  const doc = parse(fs.readFileSync(file, 'utf8'), errors, { allowTrailingComma: true }) as PolicyDoc;
  if (errors.length) throw new Error(`${file}: not JSONC (${errors.length} errors)`);
  doc.env = { ...doc.env, ANTHROPIC_BASE_URL: gatewayUrl };
  if (doc.managedSettings && typeof doc.managedSettings.apiKeyHelper === 'string') {
    doc.managedSettings = { ...doc.managedSettings, apiKeyHelper: HELPER_PATH };
  }
  return doc;
}

/** The headers a compliant request of `uid` carries under this policy. */
export function expectedCredential(p: PolicyDoc, uid: number): { authorization: string; apiKey: string | undefined } {
  const token = p.env.ANTHROPIC_AUTH_TOKEN;
  if (token) return { authorization: `Bearer ${token}`, apiKey: undefined };
  if (p.managedSettings?.apiKeyHelper) return { authorization: `Bearer ${helperKey(uid)}`, apiKey: helperKey(uid) };
  throw new Error(`policy ${p.id}: no credential the e2e suite knows how to check`);
}

/** The model a policy maps an alias to (its ANTHROPIC_DEFAULT_<ALIAS>_MODEL). */
export function mappedAlias(p: PolicyDoc, alias: 'opus' | 'sonnet' | 'haiku'): string {
  const v = p.env[`ANTHROPIC_DEFAULT_${alias.toUpperCase()}_MODEL`];
  if (!v) throw new Error(`policy ${p.id} does not map ${alias}`);
  return v;
}

/** Every model id the policy routes: its ANTHROPIC_DEFAULT_*_MODEL values and allowedModels. */
export function mappedModels(p: PolicyDoc): Set<string> {
  const out = new Set<string>(p.allowedModels ?? []);
  for (const [k, v] of Object.entries(p.env)) if (/^ANTHROPIC_DEFAULT_[A-Z]+_MODEL$/.test(k) && k !== 'ANTHROPIC_DEFAULT_MODEL') out.add(v);
  return out;
}
