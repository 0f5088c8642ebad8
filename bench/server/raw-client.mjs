// A minimal HTTP/1.1 client for the load generator: keep-alive connections over node:net, one request in
// flight per connection, each request written with one socket write, answers parsed just far enough to
// know the status and where the next answer starts (Content-Length; the server never sends chunked
// answers on these routes). It costs the load generator a fraction of what undici does per request, so on
// 2 shared cores more of the second core is left to the server — closer to how measured-floors.md was
// taken. Used for the `closed` and `open` phases (bench/server/load.mjs --client raw, the default).
import net from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');

class ClientError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** One connection; `send(bytes)` resolves with the answer's status once its whole body has arrived. */
class Conn {
  constructor(host, port, onGone) {
    this.busy = null; // { resolve, reject }
    this.buf = null;
    this.need = -1; // bytes of the current answer still to come after its head, or -1 (head not complete)
    this.status = 0;
    this.closeAfter = false;
    this.dead = false;
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk) => this.onData(chunk));
    const gone = (e) => {
      if (this.dead) return;
      this.dead = true;
      const b = this.busy;
      this.busy = null;
      if (b) b.reject(e ?? new ClientError('ECONNRESET', 'connection closed before the answer'));
      onGone(this);
    };
    this.socket.on('error', (e) => gone(e));
    this.socket.on('close', () => gone(null));
  }

  send(bytes) {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new ClientError('ECONNRESET', 'connection closed'));
      this.busy = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  onData(chunk) {
    let buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = null;
    while (buf.length > 0) {
      if (this.need < 0) {
        const end = buf.indexOf(HEAD_END);
        if (end < 0) {
          this.buf = buf;
          return;
        }
        const head = buf.toString('latin1', 0, end).toLowerCase();
        this.status = Number(head.slice(9, 12));
        const cl = head.indexOf('\r\ncontent-length:');
        this.need = this.status === 304 || this.status === 204 || cl < 0 ? 0 : Number.parseInt(head.slice(cl + 17, head.indexOf('\r\n', cl + 2) >>> 0), 10);
        this.closeAfter = head.includes('\r\nconnection: close');
        buf = buf.subarray(end + 4);
      }
      if (buf.length < this.need) {
        this.need -= buf.length;
        return;
      }
      buf = buf.subarray(this.need);
      this.need = -1;
      const b = this.busy;
      this.busy = null;
      if (this.closeAfter) {
        this.dead = true;
        this.socket.destroy();
      }
      if (b) b.resolve(this.status);
    }
  }

  close() {
    this.dead = true;
    this.socket.destroy();
  }
}

/** `connections` keep-alive connections; a request waits for a free one. `fresh: true` → a connection of its own. */
export class RawPool {
  constructor(origin, connections) {
    const u = new URL(origin);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.hostHeader = u.host;
    this.max = connections;
    this.idle = [];
    this.all = new Set();
    this.waiting = [];
  }

  /** The request's bytes: method, path, headers (object) and an optional string body. */
  encode({ method, path, headers, body }, close = false) {
    let s = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    for (const [k, v] of Object.entries(headers ?? {})) s += `${k}: ${v}\r\n`;
    if (close) s += 'connection: close\r\n';
    if (body !== undefined) return Buffer.from(`${s}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return Buffer.from(`${s}\r\n`, 'latin1');
  }

  /** Resolves with the answer's status; rejects with an error carrying `code`. */
  async request(opts) {
    if (opts.reset) {
      const c = new Conn(this.host, this.port, () => undefined);
      try {
        return await c.send(this.encode(opts, true));
      } finally {
        c.close();
      }
    }
    const c = await this.acquire();
    try {
      return await c.send(this.encode(opts));
    } finally {
      this.release(c);
    }
  }

  acquire() {
    while (this.idle.length > 0) {
      const c = this.idle.pop();
      if (!c.dead) return Promise.resolve(c);
    }
    if (this.all.size < this.max) {
      const c = new Conn(this.host, this.port, (gone) => this.all.delete(gone));
      this.all.add(c);
      return Promise.resolve(c);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(c) {
    if (c.dead) {
      this.all.delete(c);
      const next = this.waiting.shift();
      if (next) this.acquire().then(next);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }

  async close() {
    for (const c of this.all) c.close();
    this.all.clear();
    this.idle = [];
  }
}
