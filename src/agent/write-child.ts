/**
 * Body of the hidden subcommand `ccfleet __write-as-user`, run by write-as-user.ts with the user's
 * uid/gid. `runWriteChild(stdinText)` validates one JSON WriteRequest, refuses unless this process runs
 * as the request's owner (it exists only to let the kernel enforce that user's rights), performs the
 * write in-process and returns one JSON WriteResult line (no trailing newline) to print on stdout.
 * Exit codes: 0 written, 1 refused or failed (the result says why), 2 malformed request.
 */
import { z } from 'zod';
import { writeInProcess } from './write-in-process.js';
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

const reply = (exitCode: number, r: WriteResult) => ({ exitCode, output: JSON.stringify(r) });

export async function runWriteChild(input: string): Promise<{ exitCode: number; output: string }> {
  let req: WriteRequest;
  try {
    const parsed = requestSchema.safeParse(JSON.parse(input));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply(2, { ok: false, code: 'io', message: `bad write request: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'}` });
    }
    req = parsed.data;
  } catch (e) {
    return reply(2, { ok: false, code: 'io', message: `bad write request: ${(e as Error).message}` });
  }
  const uid = process.getuid?.();
  if (req.owner && uid !== undefined && uid !== req.owner.uid) {
    const message = `the write child runs as uid ${uid}, not as the owner uid ${req.owner.uid}`;
    return reply(1, { ok: false, code: 'unsafe', message, findings: [{ code: 'foreign-owner', message, blocking: true }] });
  }
  const r = writeInProcess(req);
  return reply(r.ok ? 0 : 1, r);
}
