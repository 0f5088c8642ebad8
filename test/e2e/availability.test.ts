/**
 * The one place the real-Claude-Code e2e suite says whether it runs. Ready: the pinned binary answers its
 * version inside the scenarios' mount namespace (real-claude.ts). Not ready: ONE skipped test and one
 * warning saying why and how to enable it; the other test/e2e files skip silently. Under CI=true or
 * CCFLEET_E2E=require (.ci/run sets it) "not ready" fails instead, so CI never passes without the suite.
 */
import { describe, expect, it } from 'vitest';
import { CLAUDE_VERSION, HOW_TO_ENABLE, e2e } from './support/real-claude.js';

describe('real Claude Code e2e suite', () => {
  if (e2e.ready) {
    it(`runs against Claude Code ${CLAUDE_VERSION} in a private mount namespace`, () => {
      expect(e2e.reason).toBe('');
    });
  } else if (e2e.required) {
    it(`must run here (CI=true or CCFLEET_E2E=require)`, () => {
      expect.fail(`the real Claude Code e2e suite cannot run: ${e2e.reason}; ${HOW_TO_ENABLE}`);
    });
  } else {
    console.warn(`test/e2e skipped: ${e2e.reason}; ${HOW_TO_ENABLE}`);
    it.skip(`skipped: ${e2e.reason}; ${HOW_TO_ENABLE}`, () => undefined);
  }
});
