/** toHostPath: machine paths of each OS placed under a --root (or left alone without one). */
import { describe, expect, it } from 'vitest';
import { toHostPath } from '../../src/platform/root-path.js';

describe('toHostPath', () => {
  it('leaves paths alone without a root', () => {
    expect(toHostPath(null, 'windows', 'C:\\Users\\a')).toBe('C:\\Users\\a');
    expect(toHostPath(null, 'linux', '/home/a')).toBe('/home/a');
  });

  it.each(['linux', 'darwin', 'wsl'] as const)('puts %s paths under the root', (p) => {
    expect(toHostPath('/r', p, '/home/a/.claude.json')).toBe('/r/home/a/.claude.json');
    expect(toHostPath('/r/', p, '/Library/Application Support/ClaudeCode')).toBe('/r/Library/Application Support/ClaudeCode');
    expect(toHostPath('/r', p, '/')).toBe('/r');
    expect(toHostPath('C:\\r', p, '/etc/passwd', '\\')).toBe('C:\\r\\etc\\passwd');
  });

  it.each([
    ['C:\\Users\\a', '/r/Users/a'],
    ['c:\\Users\\a', '/r/Users/a'],
    ['C:/Users/a/', '/r/Users/a'],
    ['c:/Program Files/ClaudeCode/managed-settings.json', '/r/Program Files/ClaudeCode/managed-settings.json'],
    ['C:\\', '/r'],
    ['D:\\x', '/r/D/x'],
    ['d:/x/y', '/r/D/x/y'],
    ['D:\\', '/r/D'],
    ['\\Users\\a', '/r/Users/a'],
  ])('maps the windows path %j to %j', (machine, want) => {
    expect(toHostPath('/r', 'windows', machine)).toBe(want);
  });

  it('joins with the host separator it is given', () => {
    expect(toHostPath('C:\\root\\', 'windows', 'D:\\x\\y', '\\')).toBe('C:\\root\\D\\x\\y');
  });
});
