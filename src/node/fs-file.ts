/**
 * A log file opened by descriptor. Reads, writes and size checks are synchronous system calls:
 * on the page cache they take a few microseconds, where each asynchronous call costs tens of
 * microseconds of thread-pool round trip — and the driver runs one operation at a time anyway.
 * Flushes to the disk (fdatasync/fsync), which take milliseconds, stay asynchronous.
 */
import { closeSync, fdatasync, fstatSync, fsync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

export class LogFile {
  readonly path: string;
  #fd: number | null;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Opens `path` ("r+": read and write an existing file; "wx": create a new one). Throws the system error. */
  static open(path: string, flags: "r+" | "wx" | "r"): LogFile {
    return new LogFile(path, openSync(path, flags));
  }

  get #descriptor(): number {
    if (this.#fd === null) throw new Error(`edge-kv internal: ${this.path} used after close`);
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

  /** Flushes the file's data (and the size needed to read it) to the disk. */
  datasync(): Promise<void> {
    const fd = this.#descriptor;
    return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  /** Flushes data and all metadata to the disk. */
  sync(): Promise<void> {
    const fd = this.#descriptor;
    return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}
