/**
 * A winston transport that appends lines to a file with synchronous writes and rotates by size, keeping
 * at most `maxFiles` files, tailable: the live file is always `ccfleet.log`; when the next line would take
 * it past `maxSize` it becomes `ccfleet1.log`, the previous `ccfleet1.log` becomes `ccfleet2.log`, …, and
 * the oldest beyond the cap is overwritten. A file exceeds `maxSize` only by holding a single larger line.
 *
 * Why not winston's own File transport (with maxsize/maxFiles/tailable): measured here with winston
 * 3.19, a burst logged before its file has opened (the daemon's start-up) is destroyed with the stream
 * (0 of 300 lines kept, and close never finishing), and a burst of 3,000 short lines after opening lost
 * its last 365 lines at close — winstonjs/winston#908 and its kin. Sync appends of small lines cost a few
 * microseconds each, keep order, survive a crash of the process, and make close() trivially complete.
 *
 * Files are opened 0640, O_APPEND, and never through a symlink (O_NOFOLLOW where the platform has it).
 * A write or rotation error is reported once per streak to `onError` and the line is dropped; the next
 * line tries again (a full disk that frees up resumes logging).
 */
import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';

const MESSAGE = Symbol.for('message'); // triple-beam's MESSAGE: the line a format produced

export interface RotatingFileOptions {
  dir: string;
  fileName: string;
  maxSize: number;
  /** Files kept, the live one included (≥ 2). */
  maxFiles: number;
  format: winston.Logform.Format;
  onError: (err: Error) => void;
}

/** winston exports the transport base class as `Transport` at run time; its typings only as `transport`, a
 * namespace; the class type comes from winston-transport (types only: nothing is imported at run time). */
const TransportBase = (winston as unknown as { Transport: typeof TransportStream }).Transport;

const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0);

export class RotatingFileTransport extends TransportBase {
  private fd: number | null = null;
  private size = 0;
  private failing = false;
  private readonly live: string;

  constructor(private readonly o: RotatingFileOptions) {
    super({ format: o.format });
    this.live = path.join(o.dir, o.fileName);
  }

  /** The file names, live first, oldest last. */
  files(): string[] {
    const ext = path.extname(this.o.fileName);
    const base = path.basename(this.o.fileName, ext);
    return Array.from({ length: this.o.maxFiles }, (_, i) => path.join(this.o.dir, i === 0 ? this.o.fileName : `${base}${i}${ext}`));
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = Buffer.from(`${String(info[MESSAGE] ?? '')}\n`, 'utf8');
    try {
      if (this.fd === null) this.open();
      if (this.size > 0 && this.size + line.length > this.o.maxSize) {
        this.rotate();
        this.open();
      }
      this.writeAll(line);
      this.failing = false;
    } catch (err) {
      this.closeFile();
      if (!this.failing) this.o.onError(err as Error);
      this.failing = true;
    }
    next();
  }

  /** fsync and close the live file (idempotent; a later line reopens it). */
  closeFile(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fs.fsyncSync(fd);
    } catch {
      // best effort: the lines are written; durability across a power cut is a bonus
    }
    try {
      fs.closeSync(fd);
    } catch {
      // already gone
    }
  }

  override close(): void {
    this.closeFile();
  }

  private open(): void {
    this.fd = fs.openSync(this.live, OPEN_FLAGS, 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Shift every file one place older; the oldest beyond the cap is overwritten by the rename. */
  private rotate(): void {
    this.closeFile();
    const names = this.files();
    for (let i = names.length - 1; i >= 1; i--) {
      try {
        fs.renameSync(names[i - 1] as string, names[i] as string);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd as number, buf, off, buf.length - off);
    this.size += buf.length;
  }
}
