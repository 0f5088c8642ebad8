import { describe, expect, it } from 'vitest';
import { RAW_SECRET } from '../../src/core/report-schema.js';
import { hasRawSecret, rawSecretPrefilterActive } from '../../src/server/raw-secret.js';

describe('RAW_SECRET: a key only where a key can start', () => {
  it('a folder named desk-organizer-project is not a key; sk-… at a word start is', () => {
    expect(rawSecretPrefilterActive()).toBe(true);
    expect(RAW_SECRET.test('/home/ana/desk-organizer-project')).toBe(false);
    expect(hasRawSecret('{"path":"/home/ana/desk-organizer-project"}')).toBe(false);
    expect(hasRawSecret('{"k":"sk-bf-0123456789abcdef0123"}')).toBe(true);
    expect(hasRawSecret('Authorization: Bearer abcdefghijklmnop0123')).toBe(true);
  });
});
