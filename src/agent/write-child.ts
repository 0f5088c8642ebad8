/**
 * Body of the hidden subcommand `ccfleet __write-as-user`, run by write-as-user.ts with the user's
 * uid/gid. `runWriteChild(stdinText)` takes a JSON array of WriteRequests (the batch protocol) or one
 * WriteRequest object (the single protocol), and returns the output to print on stdout (one line, no
 * trailing newline): an array of as many WriteResults in the same order, or one WriteResult.
 * Each request is validated and refused (`unsafe`, `foreign-owner`) unless this process runs as its
 * owner — the child exists only to let the kernel enforce that user's rights; the valid ones are written
 * in-process as one batch (write-in-process.ts), and the output is produced only after every folder
 * fsync of the batch: a result printed is a result that holds.
 * Exit codes: 0 everything written, 1 something refused or failed (the results say why), 2 a malformed
 * request (batch: its result is `io` "bad write request", the others are still done).
 */
import { z } from 'zod';
import { writeManyInProcess } from './write-in-process.js';
import type { WriteRequest, WriteResult } from './write-types.js';

const uint = z.number().int().nonnegative();
const mode = z.number().int().min(0).max(0o7777);

const requestSchema = z.object({
  hostPath: z.string().min(1),
  text: z.string().nullable(),
  owner: z.object({ uid: uint, gid: uint }).nullable(),
  createMode: mode,
  trustedAncestor: z.string().min(1),
  dirMode: mode.optional(),
  expected: z.object({ ino: z.number(), size: uint, mtimeMs: z.number() }).nullable(),
});

const bad = (message: string): WriteResult => ({ ok: false, code: 'io', message: `bad write request: ${message}` });

/** A valid request this child may write, or the result that refuses it. */
function admit(v: unknown): { req: WriteRequest } | { refused: WriteResult; malformed: boolean } {
  const parsed = requestSchema.safeParse(v);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { refused: bad(issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'), malformed: true };
  }
  const req = parsed.data;
  const uid = process.getuid?.();
  if (req.owner && uid !== undefined && uid !== req.owner.uid) {
    const message = `the write child runs as uid ${uid}, not as the owner uid ${req.owner.uid}`;
    return { refused: { ok: false, code: 'unsafe', message, findings: [{ code: 'foreign-owner', message, blocking: true }] }, malformed: false };
  }
  return { req };
}

async function runBatch(items: unknown[]): Promise<{ results: WriteResult[]; malformed: boolean }> {
  const results = new Array<WriteResult>(items.length);
  const todo: { index: number; req: WriteRequest }[] = [];
  let malformed = false;
  items.forEach((v, index) => {
    const a = admit(v);
    if ('req' in a) todo.push({ index, req: a.req });
    else {
      results[index] = a.refused;
      malformed ||= a.malformed;
    }
  });
  const written = await writeManyInProcess(todo.map((t) => t.req));
  todo.forEach((t, k) => (results[t.index] = written[k]!));
  return { results, malformed };
}

export async function runWriteChild(input: string): Promise<{ exitCode: number; output: string }> {
  let v: unknown;
  try {
    v = JSON.parse(input);
  } catch (e) {
    return { exitCode: 2, output: JSON.stringify(bad((e as Error).message)) };
  }
  const { results, malformed } = await runBatch(Array.isArray(v) ? v : [v]);
  const exitCode = malformed ? 2 : results.every((r) => r.ok) ? 0 : 1;
  return { exitCode, output: JSON.stringify(Array.isArray(v) ? results : results[0]) };
}

/** Longest request line a serving child accepts (a batch is capped at ~64 MiB of text by safe-write.ts). */
export const MAX_SERVE_LINE = 256 * 1024 * 1024;

/**
 * The long-lived form (`__write-as-user --serve`, see writer-pool.ts): one batch per stdin line
 * `{"id":N,"reqs":[WriteRequest…]}`, answered in order by one line `{"id":N,"results":[WriteResult…]}`
 * once that batch is durable. A line that is not such a batch gets `{"id":N|null,"error":"…"}` and the
 * child goes on. Ends when stdin ends, after the batch in flight.
 */
export async function serveWriteChild(input: AsyncIterable<string>, out: (line: string) => void): Promise<void> {
  for await (const line of input) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      out(JSON.stringify({ id: null, error: `bad batch line: ${(e as Error).message}` }));
      continue;
    }
    const rec = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    const id = typeof rec.id === 'number' && Number.isSafeInteger(rec.id) ? rec.id : null;
    if (id === null || !Array.isArray(rec.reqs)) {
      out(JSON.stringify({ id, error: 'bad batch line: want {"id": <integer>, "reqs": [...]}' }));
      continue;
    }
    const { results } = await runBatch(rec.reqs);
    out(JSON.stringify({ id, results }));
  }
}
