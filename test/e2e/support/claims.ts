/**
 * Collects every disagreement a scenario finds — between the wire and the scenario's statement of reality,
 * or between the wire and ccfleet's verdict — and throws them together at the end, so one run reports all
 * of them (before and after repair). Plain data and one Error: safe when scenarios run concurrently.
 */
import { isDeepStrictEqual } from 'node:util';

export class Claims {
  private readonly failures: string[] = [];

  equal(actual: unknown, expected: unknown, what: string, context = ''): void {
    if (!isDeepStrictEqual(actual, expected)) this.failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}${context}`);
  }

  /** Throws one Error listing every failure, if any. */
  settle(title: string): void {
    if (this.failures.length === 0) return;
    throw new Error(`${title}: ${this.failures.length} disagreement(s)\n- ${this.failures.join('\n- ')}`);
  }
}
