/** The published JSON Schema of the policy, derived from the zod schema (one source of truth). */
import { z } from 'zod';
import { policySchema } from './policy-schema.js';

export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $id: 'https://ccfleet.dev/schemas/policy.schema.json',
    title: 'ccfleet policy',
    ...schema,
  };
}

export const policyJsonSchemaText = (): string => JSON.stringify(policyJsonSchema(), null, 2) + '\n';
