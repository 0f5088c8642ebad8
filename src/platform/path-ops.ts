/** PathOps for POSIX and Windows machines, usable on any host (node:path's posix/win32 are pure). */
import path from 'node:path';
import type { PathOps } from './types.js';

export const posixPath: PathOps = {
  sep: '/',
  join: (...p) => path.posix.join(...p),
  dirname: (p) => path.posix.dirname(p),
  basename: (p) => path.posix.basename(p),
  isAbsolute: (p) => path.posix.isAbsolute(p),
  normalize: (p) => path.posix.normalize(p),
};

export const winPath: PathOps = {
  sep: '\\',
  join: (...p) => path.win32.join(...p),
  dirname: (p) => path.win32.dirname(p),
  basename: (p) => path.win32.basename(p),
  isAbsolute: (p) => /^[A-Za-z]:[\\/]/.test(p),
  normalize: (p) => path.win32.normalize(p),
};
