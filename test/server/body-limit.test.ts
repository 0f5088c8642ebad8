// Oversized uploads over a raw socket: the server answers 413 too-large without reading the whole body —
// at once for a declared Content-Length over the limit, and while streaming (chunked) past it — and then
// closes the connection. A server that read everything before answering would never answer here: the
// client keeps most of its body unsent until it has the answer.
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enroll, reportCount, start, type Running } from './fixtures.js';

let s: Running;
beforeEach(async () => {
  s = await start();
});
afterEach(async () => {
  await s.close();
});

interface RawAnswer {
  head: string;
  status: number;
  body: string;
  bytesSent: number;
}

/** Sends `head`, then `sendBytes` of body in 64 KiB writes (chunked framing if asked), and reads the answer. */
function rawUpload(url: string, head: string, sendBytes: number, chunked: boolean): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), '127.0.0.1');
    let got = Buffer.alloc(0);
    let sent = 0;
    let answered = false;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!answered && sent < sendBytes && !sock.destroyed) {
        const data = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        sent += piece.length;
        if (!sock.write(data)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    sock.on('connect', () => {
      sock.write(head);
      pump();
    });
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const text = got.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = /content-length: (\d+)/i.exec(text.slice(0, end));
      if (len && got.length >= end + 4 + Number(len[1])) {
        answered = true;
        resolve({ head: text.slice(0, end), status: Number(text.slice(9, 12)), body: text.slice(end + 4), bytesSent: sent });
        sock.destroy();
      }
    });
    sock.on('error', (e) => {
      if (!answered) reject(e);
    });
    sock.on('close', () => {
      if (!answered) reject(new Error(`closed without an answer: ${got.toString('utf8').slice(0, 200)}`));
    });
  });
}

describe('report body limit (default 2 MiB)', () => {
  it('answers 413 to a declared Content-Length over the limit before any body byte is sent', async () => {
    const { token } = await enroll(s.url);
    const head = `POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`;
    const r = await rawUpload(s.url, head, 0, false);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'too-large', message: expect.stringContaining(String(2 * 1024 * 1024)) } });
    expect(r.head.toLowerCase()).toContain('connection: close');
    expect(s.app.metrics.reportsRejected.get('too-large')).toBe(1);
  });

  it('answers 413 while a chunked upload passes the limit, with most of it never sent', async () => {
    const { token } = await enroll(s.url);
    const head = `POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const r = await rawUpload(s.url, head, 64 * 1024 * 1024, true);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('too-large');
    expect(r.bytesSent).toBeLessThan(32 * 1024 * 1024);
    expect(await reportCount(s)).toBe(0);
  });

  it('answers 413 to a Content-Length under the cap on the wire but a body past the configured limit', async () => {
    await s.close();
    s = await start({ limits: { reportBytes: 1000 } });
    const { token } = await enroll(s.url);
    const head = `POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const r = await rawUpload(s.url, head, 1024 * 1024, true);
    expect(r.status).toBe(413);
  });

  it('refuses an unauthenticated upload without reading its body, and closes the connection', async () => {
    const head = `POST /v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${50 * 1024 * 1024}\r\n\r\n`;
    const r = await rawUpload(s.url, head, 1024 * 1024, false);
    expect(r.status).toBe(401);
    expect(r.head.toLowerCase()).toContain('connection: close');
  });
});
