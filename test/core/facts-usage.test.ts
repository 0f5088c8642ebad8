/**
 * Judging the models really used: the newest use and whether the policy maps it; one
 * `model-override-used` finding per unmapped model used within the window, judged by what was requested.
 */
import { describe, expect, it } from 'vitest';
import type { ModelUse, UsageScan } from '../../src/core/facts-types.js';
import { lastUsedModel, usageFindings } from '../../src/core/facts-usage.js';
import { mappedModels } from '../../src/core/model.js';

const use = (served: string, requested: string | null, at: string, cwd: string | null = '/home/a/p'): ModelUse => ({ served, requested, at, cwd });
const scanOf = (...uses: ModelUse[]): UsageScan => ({ uses, filesRead: 1, filesSeen: 1 });
const mapped = mappedModels({ ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model[1m]' }, ['claude-allowed-1']);
const now = new Date('2025-06-10T12:00:00.000Z');

describe('lastUsedModel', () => {
  it('is null when nothing was used', () => {
    expect(lastUsedModel(scanOf(), mapped)).toBeNull();
  });

  it('picks the newest use whatever the order, and says whether the policy maps it', () => {
    const scan = scanOf(use('upstream-x', 'sonnet-model', '2025-06-01T00:00:00Z'), use('claude-opus-5-5', null, '2025-06-09T00:00:00Z', null), use('haiku-model', null, 'not a date'));
    expect(lastUsedModel(scan, mapped)).toEqual({ served: 'claude-opus-5-5', requested: null, at: '2025-06-09T00:00:00Z', cwd: null, mapped: false });
  });

  it('counts as mapped when either the served or the requested id is mapped, [1m] aside', () => {
    expect(lastUsedModel(scanOf(use('claude-sonnet-4-5-20250929', 'sonnet-model[1m]', '2025-06-09T00:00:00Z')), mapped)?.mapped).toBe(true);
    expect(lastUsedModel(scanOf(use('haiku-model[1m]', 'something-else', '2025-06-09T00:00:00Z')), mapped)?.mapped).toBe(true);
    expect(lastUsedModel(scanOf(use('claude-allowed-1', null, '2025-06-09T00:00:00Z')), mapped)?.mapped).toBe(true);
    expect(lastUsedModel(scanOf(use('upstream', 'claude-opus-5-5', '2025-06-09T00:00:00Z')), mapped)?.mapped).toBe(false);
  });
});

describe('usageFindings', () => {
  it('finds nothing when every recent use requested a mapped model, whatever the gateway served', () => {
    expect(usageFindings(scanOf(use('claude-sonnet-4-5-20250929', 'sonnet-model', '2025-06-09T00:00:00Z'), use('haiku-model', null, '2025-06-09T01:00:00Z')), mapped, now)).toEqual([]);
    expect(usageFindings(scanOf(), mapped, now)).toEqual([]);
  });

  it('reports one finding per unmapped requested model in the window, newest first, with a session count', () => {
    const scan = scanOf(
      use('claude-opus-5-5', 'claude-opus-5-5[1m]', '2025-06-09T08:00:00.000Z', '/home/a/api'),
      use('claude-opus-5-5', 'claude-opus-5-5', '2025-06-05T08:00:00.000Z', '/home/a/web'),
      use('sonnet-model', 'claude-sonnet-5-5', '2025-06-08T08:00:00.000Z', null), // judged by requested, not served
      use('gpt-x', null, '2025-06-07T08:00:00.000Z', '/home/a/x'), // no requestedModel: judged by served
      use('claude-opus-5-5', 'claude-opus-5-5', '2025-06-01T08:00:00.000Z'), // before the window
    );
    expect(usageFindings(scan, mapped, now)).toEqual([
      {
        code: 'model-override-used',
        key: 'claude-opus-5-5',
        blocking: false,
        message: 'claude-opus-5-5 requested in 2 session(s) since 2025-06-03, last 2025-06-09T08:00:00.000Z in /home/a/api',
      },
      {
        code: 'model-override-used',
        key: 'claude-sonnet-5-5',
        blocking: false,
        message: 'claude-sonnet-5-5 requested in 1 session(s) since 2025-06-03, last 2025-06-08T08:00:00.000Z in an unknown folder',
      },
      {
        code: 'model-override-used',
        key: 'gpt-x',
        blocking: false,
        message: 'gpt-x requested in 1 session(s) since 2025-06-03, last 2025-06-07T08:00:00.000Z in /home/a/x',
      },
    ]);
  });

  it('honours the window length and ignores uses without a valid time', () => {
    const scan = scanOf(use('x', 'claude-opus-5-5', '2025-06-01T08:00:00.000Z'), use('x', 'bad-time', 'soon'));
    expect(usageFindings(scan, mapped, now)).toEqual([]);
    expect(usageFindings(scan, mapped, now, 30).map((f) => [f.key, f.message])).toEqual([
      ['claude-opus-5-5', 'claude-opus-5-5 requested in 1 session(s) since 2025-05-11, last 2025-06-01T08:00:00.000Z in /home/a/p'],
    ]);
  });

  it('judges nothing against an invalid clock', () => {
    expect(usageFindings(scanOf(use('x', 'claude-opus-5-5', '2025-06-09T08:00:00.000Z')), mapped, new Date(Number.NaN))).toEqual([]);
  });
});
