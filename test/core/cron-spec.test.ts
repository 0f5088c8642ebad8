/**
 * Which cadences the config may spell, normalised to one cron string; what node-schedule would quietly
 * misread (a date, a 4-field string) is refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import { describeCronSpec, parseCronSpec } from '../../src/core/cron-spec.js';

describe('parseCronSpec', () => {
  it.each([
    ['*/5 * * * *', '*/5 * * * *'],
    ['  0  */5 * * * *  ', '0 */5 * * * *'],
    ['0 3 * * MON-FRI', '0 3 * * MON-FRI'],
    ['@hourly', '0 * * * *'],
    ['@Daily', '0 0 * * *'],
  ])('accepts %j', (spec, cron) => {
    expect(parseCronSpec(spec)).toEqual({ ok: true, cron, tz: null });
  });

  it.each([
    ['', /0 fields/],
    ['*/5 * * *', /4 fields/],
    ['* * * * * * *', /7 fields/],
    ['2030-01-01', /1 fields/],
    ['5', /1 fields/],
    ['@every5m', /unknown macro/],
    ['*/5 * * * $(reboot)', /characters/],
  ])('refuses %j', (spec, reason) => {
    const r = parseCronSpec(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('turns node-schedule object literals into cron (month 0-based there, 1-based in cron)', () => {
    expect(parseCronSpec({ hour: 3, minute: [30, 0] })).toEqual({ ok: true, cron: '0 0,30 3 * * *', tz: null });
    expect(parseCronSpec({ month: 0, date: 1, tz: 'Europe/Paris' })).toEqual({ ok: true, cron: '0 * * 1 1 *', tz: 'Europe/Paris' });
    expect(parseCronSpec({ second: 15, dayOfWeek: [1, 5] })).toEqual({ ok: true, cron: '15 * * * * 1,5', tz: null });
    expect(parseCronSpec({})).toEqual({ ok: true, cron: '0 * * * * *', tz: null });
  });

  it.each([
    [{ minute: 99 }, /minute must be/],
    [{ minute: [] }, /minute must be/],
    [{ minute: 1.5 }, /minute must be/],
    [{ hour: '3' }, /hour must be/],
    [{ year: 2030 }, /unknown field/],
    [{ rule: '* * * * *' }, /unknown field/],
    [{ date: 1, dayOfWeek: 1 }, /ANDs them/],
    [{ tz: 5 }, /tz must be/],
    [null, /expected/],
    [42, /expected/],
    [['* * * * *'], /expected/],
  ])('refuses the object %j', (spec, reason) => {
    const r = parseCronSpec(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('names a spec for messages', () => {
    expect(describeCronSpec('*/5 * * * *')).toBe('"*/5 * * * *"');
    expect(describeCronSpec({ hour: 3 })).toBe('{"hour":3}');
  });
});

describe('parseCronSpec: numeric ranges of a cron string (checked without cron-parser, so the core and the schema refuse them)', () => {
  it.each([
    ['61 * * * *', /minute field "61": 61 is outside 0-59/],
    ['* 24 * * *', /hour field/],
    ['* * 0 * *', /day-of-month field/],
    ['* * * 13 *', /month field/],
    ['* * * * 8', /day-of-week field/],
    ['*/0 * * * *', /step "0"/],
    ['5-1 * * * *', /runs backwards/],
    ['1,,2 * * * *', /empty list item/],
    ['60 * * * * *', /second field/],
  ])('%s', (spec, why) => {
    const r = parseCronSpec(spec);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(why);
  });

  it.each(['*/5 * * * *', '0 */5 * * * *', '0 9-17 * * MON-FRI', '0 0 L * ?', '15,45 * * JAN,JUL 0-7', '* * * * 7'])('%s is fine', (spec) => {
    expect(parseCronSpec(spec).ok).toBe(true);
  });
});
