/**
 * Request bodies: `readJsonBody(ex, limit)` checks the content type (415 unsupported-media-type), refuses a
 * declared Content-Length over the limit before reading a byte, and otherwise reads while counting: the
 * moment the limit is passed it answers 413 too-large and keeps nothing more (the connection is closed
 * after the answer, the rest of the upload is never read). Then JSON.parse (400 bad-json).
 * `Content-Encoding: gzip` (the agent compresses larger reports) is inflated with the same limit on the
 * inflated size (a zip bomb is a 413 too); a corrupt one is 400 invalid-body; other encodings are 415.
 * A client that goes away mid-body rejects with ClientGone: nothing to answer.
 */
import { gunzip } from 'node:zlib';
import { ApiError } from './errors.js';
import type { Exchange } from './exchange.js';

export class ClientGone extends Error {
  constructor() {
    super('the client closed the connection before sending the whole body');
    this.name = 'ClientGone';
  }
}

/** `application/json`, with or without parameters (charset), any case. */
export function isJsonType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  if (ct === 'application/json') return true;
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

export function requireJsonType(ex: Exchange): void {
  if (!isJsonType(ex.req.headers['content-type'])) {
    throw new ApiError('unsupported-media-type', 'the body must be JSON (content-type: application/json)');
  }
}

/** The raw body, at most `limit` bytes. */
export function readBody(ex: Exchange, limit: number): Promise<Buffer> {
  const req = ex.req;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        finish();
        chunks.length = 0;
        // Stop reading: the answer closes the connection, so the rest is never pulled off the wire.
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      finish();
      ex.bodyRead = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onGone = () => {
      if (done) return;
      finish();
      reject(new ClientGone());
    };
    const finish = () => {
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/** The body as JSON (any value), with its text (for the raw-secret scan). */
export async function readJsonBody(ex: Exchange, limit: number): Promise<{ value: unknown; text: string }> {
  requireJsonType(ex);
  const zipped = encoding(ex);
  const raw = await readBody(ex, limit);
  const text = (zipped ? await inflate(raw, limit) : raw).toString('utf8');
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch (e) {
    throw new ApiError('bad-json', `the body is not JSON: ${(e as Error).message}`);
  }
}

/** true for gzip, false for none/identity; 415 for anything else. */
function encoding(ex: Exchange): boolean {
  const enc = ex.req.headers['content-encoding'];
  if (enc === undefined) return false;
  const e = enc.trim().toLowerCase();
  if (e === 'gzip' || e === 'x-gzip') return true;
  if (e === 'identity' || e === '') return false;
  throw new ApiError('unsupported-media-type', `content-encoding "${enc.slice(0, 32)}" is not supported (gzip or none)`);
}

function inflate(buf: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(buf, { maxOutputLength: limit }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return reject(tooLarge(limit));
      reject(new ApiError('invalid-body', `the body is not valid gzip (${err.message})`));
    });
  });
}

const tooLarge = (limit: number): ApiError => new ApiError('too-large', `the body is larger than ${limit} bytes`);
