/**
 * A PostgreSQL schema of its own for each test (CREATE SCHEMA ccfleet_test_<pid>_<random>, dropped
 * afterwards), reached through `?options=-c search_path=…` in the store URL: parallel test files and CI
 * runs never see each other's tables.
 */
import crypto from 'node:crypto';
import { Client } from 'pg';
import type { FreshDatabase } from './store.suite.js';

export const PG_URL = process.env.CCFLEET_TEST_DATABASE_URL ?? '';

export async function adminQuery<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function freshSchema(): Promise<FreshDatabase & { schema: string }> {
  const schema = `ccfleet_test_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  return { schema, url: withSearchPath(PG_URL, schema), drop: async () => void (await adminQuery(`DROP SCHEMA ${schema} CASCADE`)) };
}
