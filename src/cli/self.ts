/**
 * How to run ccfleet itself again (for the uid-dropping write helper): the executable alone when this is
 * a single executable, otherwise node + this bundle.
 */
export function selfCommand(): string[] | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as { isSea(): boolean };
    if (sea.isSea()) return [process.execPath];
  } catch {
    // not a single executable (or an older runtime)
  }
  const script = process.argv[1];
  return script ? [process.execPath, script] : null;
}
