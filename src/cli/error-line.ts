/**
 * The one line every CLI failure becomes on stderr: `ccfleet: <CODE>: <message>`. A message spanning
 * several lines (a policy with several schema errors) is joined with "; " so scripts can rely on one line.
 */
import type { CcfleetError } from '../core/errors.js';

export function errorLine(err: CcfleetError): string {
  const message = err.message.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join('; ');
  return `ccfleet: ${err.code}: ${message}\n`;
}
