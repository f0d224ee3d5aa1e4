/**
 * A log file opened by descriptor. Reads, writes and size checks are synchronous system calls:
 * on the page cache they take a few microseconds, where each asynchronous call costs tens of
 * microseconds of thread-pool round trip — and the driver runs one operation at a time anyway.
 * Flushes to the disk (fdatasync/fsync), which take milliseconds, stay asynchronous.
 *
 * Closing while a flush is in flight, or while records written to the file still wait for one
 * (`retain`), closes the descriptor only once they are done: a descriptor number closed under a
 * pending fdatasync could be reused by another file, and records waiting for a flush must get it.
 */
import { closeSync, fdatasync, fstatSync, fsync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

export class LogFile {
  readonly path: string;
  /** The descriptor, until it is really closed. */
  #fd: number | null;
  /** close() was called: no more reads or writes. */
  #closed = false;
  /** Flushes in flight plus holders waiting for one. */
  #holds = 0;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Opens `path` ("r+": read and write an existing file; "wx": create a new one). Throws the system error. */
  static open(path: string, flags: "r+" | "wx" | "r"): LogFile {
    return new LogFile(path, openSync(path, flags));
  }

  get #descriptor(): number {
    if (this.#closed || this.#fd === null) throw new Error(`edge-kv internal: ${this.path} used after close`);
    return this.#fd;
  }

  size(): number {
    return fstatSync(this.#descriptor).size;
  }

  /** Size and link count: a link count of 0 means the file was deleted while open. */
  stat(): { size: number; links: number } {
    const stats = fstatSync(this.#descriptor);
    return { size: stats.size, links: stats.nlink };
  }

  /** Reads up to `length` bytes at `position`; the result is shorter only at the end of the file. */
  read(position: number, length: number): Uint8Array {
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const count = readSync(this.#descriptor, buffer, filled, length - filled, position + filled);
      if (count === 0) break;
      filled += count;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  /** Writes all of `bytes` at `position`. */
  write(bytes: Uint8Array, position: number): void {
    let done = 0;
    for (let stalls = 0; done < bytes.byteLength; ) {
      const count = writeSync(this.#descriptor, bytes, done, bytes.byteLength - done, position + done);
      if (count === 0 && ++stalls > 100) throw new Error(`the file system accepted no bytes for ${this.path}`);
      done += count;
    }
  }

  truncate(length: number): void {
    ftruncateSync(this.#descriptor, length);
  }

  /** Flushes the file's data (and the size needed to read it) to the disk. Works after close() while the file is retained. */
  datasync(): Promise<void> {
    return this.#flush(fdatasync);
  }

  /** Flushes data and all metadata to the disk. */
  sync(): Promise<void> {
    return this.#flush(fsync);
  }

  /** Keeps the descriptor open (for a flush to come) until `release`, even if the file is closed meanwhile. */
  retain(): void {
    if (this.#fd === null) throw new Error(`edge-kv internal: ${this.path} retained after close`);
    this.#holds++;
  }

  release(): void {
    if (--this.#holds === 0 && this.#closed) this.#closeNow();
  }

  /** Closes the file (the descriptor once no flush is in flight or retained). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#holds === 0) this.#closeNow();
  }

  #flush(call: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
    const fd = this.#fd;
    if (fd === null) return Promise.reject(new Error(`edge-kv internal: ${this.path} flushed after close`));
    this.retain();
    return new Promise<void>((resolve, reject) =>
      call(fd, (error) => {
        this.release();
        if (error) reject(error);
        else resolve();
      }),
    );
  }

  #closeNow(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
