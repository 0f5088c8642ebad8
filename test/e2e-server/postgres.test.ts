// The agent ↔ server end-to-end scenarios (scenarios.ts) on PostgreSQL, when CCFLEET_TEST_DATABASE_URL is set
// (CI sets it): each store is a fresh schema (test/server/pg-schema.ts), dropped at the end.
import { test } from 'vitest';
import { serverScenarios } from './scenarios.js';
import { postgresAvailable } from './support.js';

if (postgresAvailable) serverScenarios('postgres');
else test.skip('agent ↔ server on PostgreSQL: skipped — set CCFLEET_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)', () => undefined);
