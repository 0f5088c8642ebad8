/**
 * scanTranscripts: the model a user really used, from the tails of the newest transcripts — never message
 * content, never through a symlink or a foreign-owned file when running for an owner, never a throw.
 * Real files in a temp config dir; ownership cases that need chown run only as root.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanTranscripts, type TranscriptScanOptions } from '../../src/agent/facts/transcripts.js';

const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';
const myUid = process.getuid?.() ?? 0;
const SECRET = 'TOP-SECRET-PROMPT-TEXT';

let seq = 0;
const common = (ts: string, cwd: string) => ({
  parentUuid: null,
  isSidechain: false,
  userType: 'external',
  cwd,
  sessionId: 's',
  version: '2.1.332',
  gitBranch: 'main',
  uuid: `u-${++seq}`,
  timestamp: ts,
});
const userLine = (ts: string, cwd = '/home/a/p', text = `${SECRET} please refactor`) =>
  JSON.stringify({ ...common(ts, cwd), type: 'user', message: { role: 'user', content: text } });
const assistantLine = (ts: string, model: string, requested?: string, cwd = '/home/a/p', extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    ...common(ts, cwd),
    type: 'assistant',
    ...(requested === undefined ? {} : { requestedModel: requested }),
    message: {
      id: `msg_${seq}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: `${SECRET} the answer assistant model` }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 5 },
    },
    requestId: `req_${seq}`,
    ...extra,
  });

describe('scanTranscripts', () => {
  let base: string;
  let config: string;
  let projects: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-transcripts-'));
    config = path.join(base, 'home', 'a', '.claude');
    projects = path.join(config, 'projects');
    fs.mkdirSync(projects, { recursive: true });
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  /** Writes `<projects>/<folder>/<session>.jsonl`; `mtime` (seconds since epoch) sets the file's mtime. */
  const transcript = (folder: string, session: string, lines: string[], mtime?: number, end = '\n'): string => {
    const dir = path.join(projects, folder);
    fs.mkdirSync(dir, { recursive: true });
    const f = path.join(dir, `${session}.jsonl`);
    fs.writeFileSync(f, lines.join('\n') + end);
    if (mtime !== undefined) fs.utimesSync(f, mtime, mtime);
    return f;
  };
  const touchDir = (folder: string, mtime: number) => fs.utimesSync(path.join(projects, folder), mtime, mtime);
  const scan = (opts: Partial<TranscriptScanOptions> = {}) => scanTranscripts(config, { owner: null, ...opts });

  it('reports a missing config dir, a missing projects folder and empty project folders as no-transcripts', () => {
    const none = { uses: [], filesRead: 0, filesSeen: 0, note: 'no-transcripts' };
    expect(scanTranscripts(path.join(base, 'nowhere'), { owner: null })).toEqual(none);
    expect(scanTranscripts(path.join(base, 'nowhere'), { owner: { uid: myUid } })).toEqual(none);
    fs.mkdirSync(path.join(projects, '-home-a-empty'));
    fs.writeFileSync(path.join(projects, '-home-a-empty', 'notes.txt'), 'not a transcript');
    expect(scan()).toEqual(none);
    fs.rmSync(projects, { recursive: true });
    expect(scan()).toEqual(none);
  });

  it('keeps only model, requested model (without [1m]), time and cwd of assistant lines — never content', () => {
    transcript('-home-a-p', 'sess1', [
      JSON.stringify({ type: 'summary', summary: `${SECRET} summary`, leafUuid: 'x' }),
      userLine('2025-06-01T10:00:00.000Z'),
      assistantLine('2025-06-01T10:00:05.000Z', 'claude-sonnet-4-5-20250929', 'sonnet-model[1m]'),
      'not json at all {"type":"assistant"',
      '',
      '[1,2,3]',
      JSON.stringify({ type: 'assistant', message: 'not an object', timestamp: '2025-06-01T10:00:06.000Z' }),
      JSON.stringify({ type: 'assistant', message: { model: 42 }, timestamp: '2025-06-01T10:00:06.000Z' }),
      assistantLine('2025-06-01T10:00:07.000Z', '<synthetic>', 'sonnet-model'),
      JSON.stringify({ ...common('2025-06-01T10:00:07.500Z', '/home/a/p'), type: 'system', subtype: 'info', content: SECRET, model: 'not-a-turn' }),
      userLine('2025-06-01T10:00:08.000Z'),
      assistantLine('2025-06-01T10:00:09.000Z', 'claude-sonnet-4-5-20250929', 'sonnet-model', '/home/a/p/sub'),
      assistantLine('2025-06-01T10:00:10.000Z', 'claude-opus-4-1', undefined),
      // a session still writing: the last line is cut
      assistantLine('2025-06-01T10:00:11.000Z', 'cut-model', 'cut-model').slice(0, 150),
    ], undefined, '');
    const r = scan();
    expect(r).toEqual({
      uses: [
        { served: 'claude-opus-4-1', requested: null, at: '2025-06-01T10:00:10.000Z', cwd: '/home/a/p' },
        // one use per (served, requested, session), the newest line's time and cwd
        { served: 'claude-sonnet-4-5-20250929', requested: 'sonnet-model', at: '2025-06-01T10:00:09.000Z', cwd: '/home/a/p/sub' },
      ],
      filesRead: 1,
      filesSeen: 1,
    });
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(JSON.stringify(r)).not.toContain('cut-model');
  });

  it('keeps one use per session, sorts all newest first and caps them at maxUses', () => {
    transcript('-home-a-p', 'old', [assistantLine('2025-06-01T09:00:00Z', 'm-a', 'r-a'), assistantLine('2025-06-01T09:30:00Z', 'm-b', 'r-b')]);
    transcript('-home-a-q', 'new', [assistantLine('2025-06-01T11:00:00Z', 'm-a', 'r-a', '/home/a/q')]);
    const r = scan();
    expect(r.uses.map((u) => [u.served, u.at])).toEqual([
      ['m-a', '2025-06-01T11:00:00.000Z'],
      ['m-b', '2025-06-01T09:30:00.000Z'],
      ['m-a', '2025-06-01T09:00:00.000Z'],
    ]);
    expect(scan({ maxUses: 2 }).uses.map((u) => u.at)).toEqual(['2025-06-01T11:00:00.000Z', '2025-06-01T09:30:00.000Z']);
  });

  it('uses the file mtime for a line without a valid timestamp', () => {
    transcript('-home-a-p', 's', [JSON.stringify({ type: 'assistant', message: { model: 'm' }, timestamp: 'yesterday' })], 1_750_000_000);
    expect(scan().uses).toEqual([{ served: 'm', requested: null, at: new Date(1_750_000_000_000).toISOString(), cwd: null }]);
  });

  it('reads only the maxFiles newest transcripts by mtime', () => {
    for (let i = 0; i < 5; i++) {
      transcript(`-home-a-p${i}`, `s${i}`, [assistantLine(`2025-06-0${i + 1}T00:00:00Z`, `model-${i}`)], 1_750_000_000 + i * 100);
      touchDir(`-home-a-p${i}`, 1_750_000_000 + i * 100); // as when the session file was created
    }
    const r = scan({ maxFiles: 2 });
    expect(r.filesRead).toBe(2);
    expect(r.filesSeen).toBe(4); // the 2 × maxFiles newest folders are listed
    expect(r.uses.map((u) => u.served)).toEqual(['model-4', 'model-3']);
  });

  it('finds a long-running session in a recent folder by its own mtime, however old its folder entry', () => {
    const t = 1_750_000_000;
    transcript('-home-a-long', 'started-long-ago', [assistantLine('2025-06-10T00:00:00Z', 'long-model')], t + 1000);
    transcript('-home-a-long', 'older-sibling', [assistantLine('2025-06-01T00:00:00Z', 'sibling-model')], t);
    touchDir('-home-a-long', t + 50); // the folder changed when the newest session was created, long ago
    transcript('-home-a-other', 'mid', [assistantLine('2025-06-05T00:00:00Z', 'mid-model')], t + 500);
    touchDir('-home-a-other', t + 500);
    expect(scan({ maxFiles: 1, maxFolders: 2 }).uses.map((u) => u.served)).toEqual(['long-model']);
    // The documented miss: its folder is not among the maxFolders most recently changed ones.
    expect(scan({ maxFiles: 1, maxFolders: 1 }).uses.map((u) => u.served)).toEqual(['mid-model']);
  });

  it('reads only the tail: drops the cut first line, keeps a whole one, ignores what lies before', () => {
    const early = assistantLine('2025-06-01T00:00:00Z', 'early-model');
    const filler = userLine('2025-06-01T00:00:01Z', '/home/a/p', 'x'.repeat(5000));
    const hidden = assistantLine('2025-06-01T00:00:02Z', 'hidden-model');
    const last = assistantLine('2025-06-01T00:00:03Z', 'last-model');
    // A garbage line whose end is a valid assistant line: kept only if the cut first line were not dropped.
    const trap = `{"a":1} ${hidden}`;
    transcript('-home-a-p', 's', [early, filler, trap, last]);
    const tail = hidden.length + 1 + last.length + 1;
    expect(scan({ tailBytes: tail }).uses.map((u) => u.served)).toEqual(['last-model']);
    // A tail that starts exactly at a line start keeps that line.
    transcript('-home-a-p', 's', [early, filler, hidden, last]);
    expect(scan({ tailBytes: tail }).uses.map((u) => u.served)).toEqual(['last-model', 'hidden-model']);
    expect(scan().uses.map((u) => u.served)).toEqual(['last-model', 'hidden-model', 'early-model']);
  });

  it('survives a huge line: before the last turn it is skipped, at the end it hides the turns before it', () => {
    const huge = userLine('2025-06-01T00:00:01Z', '/home/a/p', `${SECRET}${'y'.repeat(1024 * 1024)}`);
    transcript('-home-a-p', 'a', [assistantLine('2025-06-01T00:00:00Z', 'before-huge'), huge, assistantLine('2025-06-01T00:00:02Z', 'after-huge')]);
    transcript('-home-a-q', 'b', [assistantLine('2025-06-01T00:00:00Z', 'hidden-by-huge'), huge]);
    const r = scan();
    expect(r.uses.map((u) => u.served)).toEqual(['after-huge']);
    expect(r.filesRead).toBe(2);
    expect(r.note).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('reads further back when the tail holds no turn: a short session ends with a ~110 KB prompt snapshot (2.1.332)', () => {
    const snapshot = JSON.stringify({ ...common('2025-06-01T00:00:02Z', '/home/a/p'), type: 'attachment', attachment: { type: 'prompt_snapshot', systemPrompt: 'z'.repeat(28_000), tools: 'w'.repeat(82_000) } });
    transcript('-home-a-p', 's', [userLine('2025-06-01T00:00:00Z'), assistantLine('2025-06-01T00:00:01Z', 'short-session-model', 'short-session-model'), snapshot, '{"type":"last-prompt"}']);
    const r = scan();
    expect(r.uses.map((u) => u.served)).toEqual(['short-session-model']);
    expect(r.filesRead).toBe(1);
    // Bounded: never further back than maxTailBytes.
    expect(scan({ maxTailBytes: 100_000 }).uses).toEqual([]);
  });

  it('never throws on nonsense options or a config dir that is a file', () => {
    transcript('-home-a-p', 's', [assistantLine('2025-06-01T00:00:00Z', 'm')]);
    expect(scan({ maxFiles: Number.NaN, tailBytes: -5, maxUses: 0, maxFolders: Infinity }).uses.map((u) => u.served)).toEqual(['m']);
    const file = path.join(base, 'file');
    fs.writeFileSync(file, 'x');
    expect(scanTranscripts(file, { owner: null })).toEqual({ uses: [], filesRead: 0, filesSeen: 0, note: 'no-transcripts' });
  });

  describe.runIf(posix)('safety when running for an owner', () => {
    const me = { uid: myUid };
    const elsewhere = () => {
      const dir = path.join(base, 'elsewhere');
      fs.mkdirSync(dir, { recursive: true });
      const f = path.join(dir, 'other.jsonl');
      fs.writeFileSync(f, assistantLine('2025-06-02T00:00:00Z', 'through-symlink') + '\n');
      return { dir, f };
    };

    it('skips a symlinked transcript with note "unsafe" (and follows it without an owner)', () => {
      transcript('-home-a-p', 'real', [assistantLine('2025-06-01T00:00:00Z', 'real-model')]);
      fs.symlinkSync(elsewhere().f, path.join(projects, '-home-a-p', 'link.jsonl'));
      expect(scan({ owner: me })).toEqual({
        uses: [{ served: 'real-model', requested: null, at: '2025-06-01T00:00:00.000Z', cwd: '/home/a/p' }],
        filesRead: 1,
        filesSeen: 2,
        note: 'unsafe',
      });
      expect(scan({ owner: null }).uses.map((u) => u.served)).toEqual(['through-symlink', 'real-model']);
    });

    it('skips a symlinked project folder, and a symlinked projects folder, with note "unsafe"', () => {
      transcript('-home-a-p', 'real', [assistantLine('2025-06-01T00:00:00Z', 'real-model')]);
      fs.symlinkSync(elsewhere().dir, path.join(projects, '-home-a-linked'));
      const r = scan({ owner: me });
      expect(r.uses.map((u) => u.served)).toEqual(['real-model']);
      expect(r.note).toBe('unsafe');
      expect(scan({ owner: null }).uses.map((u) => u.served)).toEqual(['through-symlink', 'real-model']);

      const moved = path.join(base, 'moved-projects');
      fs.renameSync(projects, moved);
      fs.symlinkSync(moved, projects);
      expect(scan({ owner: me })).toEqual({ uses: [], filesRead: 0, filesSeen: 0, note: 'unsafe' });
      expect(scan({ owner: null }).filesRead).toBe(2);
    });

    it('never opens a FIFO and skips a hard-linked transcript', () => {
      fs.mkdirSync(path.join(projects, '-home-a-p'));
      execFileSync('mkfifo', [path.join(projects, '-home-a-p', 'fifo.jsonl')]);
      const f = transcript('-home-a-q', 'real', [assistantLine('2025-06-01T00:00:00Z', 'real-model')]);
      expect(scan({ owner: me }).uses.map((u) => u.served)).toEqual(['real-model']);
      expect(scan({ owner: null }).uses.map((u) => u.served)).toEqual(['real-model']);
      fs.linkSync(f, path.join(base, 'second-name'));
      expect(scan({ owner: me })).toMatchObject({ uses: [], filesRead: 0, note: 'unsafe' });
      expect(scan({ owner: null }).filesRead).toBe(1);
    });

    it('reads nothing of a tree owned by another uid', () => {
      transcript('-home-a-p', 'real', [assistantLine('2025-06-01T00:00:00Z', 'real-model')]);
      if (isRoot) execFileSync('chown', ['-R', '4242:4242', base]); // root-owned would be accepted
      const ownerUid = isRoot ? 4242 : myUid;
      expect(scan({ owner: { uid: ownerUid + 1 } })).toEqual({ uses: [], filesRead: 0, filesSeen: 0, note: 'unsafe' });
      expect(scan({ owner: { uid: ownerUid } }).uses.map((u) => u.served)).toEqual(['real-model']);
    });

    it.runIf(isRoot)('accepts root-owned folders in a user tree, but only the user\'s own files: not root\'s, not another user\'s', () => {
      const mine = transcript('-home-a-p', 'mine', [assistantLine('2025-06-01T00:00:00Z', 'my-model')]);
      fs.chownSync(mine, 4242, 4242);
      transcript('-home-a-p', 'root-made', [assistantLine('2025-06-03T00:00:00Z', 'root-model')]);
      const theirs = transcript('-home-a-p', 'theirs', [assistantLine('2025-06-02T00:00:00Z', 'their-model')]);
      fs.chownSync(theirs, 4343, 4343);
      expect(scan({ owner: { uid: 4242 } })).toMatchObject({ uses: [{ served: 'my-model' }], filesRead: 1, note: 'unsafe' });
    });

    it.runIf(!isRoot)('notes an unreadable project folder', () => {
      transcript('-home-a-p', 'real', [assistantLine('2025-06-01T00:00:00Z', 'real-model')]);
      fs.chmodSync(path.join(projects, '-home-a-p'), 0);
      try {
        expect(scan({ owner: me })).toMatchObject({ uses: [], note: 'unreadable' });
      } finally {
        fs.chmodSync(path.join(projects, '-home-a-p'), 0o755);
      }
    });
  });
});
