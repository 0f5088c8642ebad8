/** The first zod issue as one line: `<path>: <message>` (the path dotted, `(root)` for the whole body). */
import type { z } from 'zod';

export function firstIssue(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return 'the body is not valid';
  const where = i.path.length ? i.path.map(String).join('.') : '(root)';
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more issue${err.issues.length > 2 ? 's' : ''})` : '';
  return `${where}: ${i.message}${more}`;
}
