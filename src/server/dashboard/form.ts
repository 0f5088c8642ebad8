/**
 * A small `application/x-www-form-urlencoded` body (the login form), read with a byte limit. Returns
 * 'too-large' the moment the limit is passed (the caller answers and closes the connection) and
 * 'wrong-type' for another content type; a client that goes away resolves to 'gone'.
 */
import type { IncomingMessage } from 'node:http';

export type FormResult = URLSearchParams | 'too-large' | 'wrong-type' | 'gone';

export function readForm(req: IncomingMessage, limit: number): Promise<FormResult> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return Promise.resolve('wrong-type');
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (r: FormResult) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      resolve(r);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        done('too-large');
      } else chunks.push(c);
    };
    const onEnd = () => done(new URLSearchParams(Buffer.concat(chunks, size).toString('utf8')));
    const onGone = () => done('gone');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}
