/**
 * A byte-exact picture of a folder tree (type, mode, owner, inode, size, mtime, content or link target of
 * every entry) to prove that a refused write touched nothing at all.
 */
import fs from 'node:fs';
import path from 'node:path';

export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    const rel = path.relative(root, p) || '.';
    const head = `${st.mode.toString(8)} ${st.uid}:${st.gid} ino=${st.ino} n=${st.nlink} size=${st.size} mtime=${st.mtimeMs}`;
    if (st.isSymbolicLink()) out[rel] = `${head} -> ${fs.readlinkSync(p)}`;
    else if (st.isFile()) out[rel] = `${head} ${fs.readFileSync(p).toString('base64')}`;
    else if (st.isDirectory()) {
      out[rel] = `${head} dir`;
      for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
    } else out[rel] = `${head} special`;
  };
  walk(root);
  return out;
}
