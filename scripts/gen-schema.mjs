// Writes policies/policy.schema.json from the zod schema (via the built bundle's exported helper).
// `npm run schema` after changing src/core/policy-schema.ts; test/policies/schema.test.ts fails when stale.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildSync } from 'esbuild';

const out = buildSync({
  entryPoints: ['src/core/policy-json-schema.ts'],
  bundle: true, platform: 'node', format: 'cjs', write: false, mainFields: ['module', 'main'],
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
writeFileSync('policies/policy.schema.json', mod.exports.policyJsonSchemaText());
console.log('wrote policies/policy.schema.json');
