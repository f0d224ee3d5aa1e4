/**
 * Files of the data commands: reading records from NDJSON (streamed, line by line) or from a
 * fastly.toml whole-store JSON file; writing output atomically (a temporary file renamed at the end,
 * so an interrupted export leaves no half file); small JSON state files for resumable pull/push.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { EdgeKvError } from "../errors.js";
import { decodeUtf8Strict, firstInvalidUtf8Offset } from "../utf8.js";
import { RecordError, looksLikeJsonStore, parseJsonStore, parseRecordLine, type TransferRecord } from "./records.js";

export interface NumberedRecord {
  record: TransferRecord;
  /** 1-based line (NDJSON) or entry number (JSON store file). */
  line: number;
}

/** Whether `path` holds a whole-store JSON object (by extension, else by its first bytes). */
export function isJsonStoreFile(path: string): boolean {
  if (/\.json$/i.test(path)) return true;
  if (/\.(ndjson|jsonl)$/i.test(path)) return false;
  const head = readFileSync(path, { encoding: "utf8", flag: "r" }).slice(0, 4096);
  return looksLikeJsonStore(head);
}

/** Every record of the file, in order; RecordError (with the file name) at the first bad one. */
export async function* readRecords(path: string): AsyncGenerator<NumberedRecord> {
  if (!existsSync(path)) throw new EdgeKvError(`${path}: no such file`);
  try {
    if (isJsonStoreFile(path)) {
      const base = dirname(resolve(path));
      const bytes = await readFile(path);
      const bad = firstInvalidUtf8Offset(bytes);
      if (bad !== -1) throw new EdgeKvError(`not UTF-8 text (byte ${bad}): save the file as UTF-8`);
      const records = await parseJsonStore(decodeUtf8Strict(bytes), async (file) => new Uint8Array(await readFile(isAbsolute(file) ? file : resolve(base, file))));
      for (const [index, record] of records.entries()) yield { record, line: index + 1 };
      return;
    }
    let line = 0;
    for await (const bytes of readLines(path)) {
      line++;
      // A file in another encoding would otherwise come in with U+FFFD in its keys and metadata.
      const bad = firstInvalidUtf8Offset(bytes);
      if (bad !== -1) throw new RecordError(line, `not UTF-8 text (byte ${bad} of the line): save the file as UTF-8`);
      const record = parseRecordLine(decodeUtf8Strict(bytes), line);
      if (record !== null) yield { record, line };
    }
  } catch (error) {
    if (error instanceof RecordError || error instanceof EdgeKvError) throw new EdgeKvError(`${path} ${error.message.replace(/^edge-kv: /, "")}`);
    throw error;
  }
}

/** The lines of a file as bytes, split at LF (a CR before it stays, and the record's trim removes it). */
async function* readLines(path: string): AsyncGenerator<Uint8Array> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let data = rest.byteLength === 0 ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
      yield data.subarray(start, end);
      start = end + 1;
    }
    rest = data.subarray(start);
    data = Buffer.alloc(0);
  }
  if (rest.byteLength > 0) yield rest;
}

/** Writes lines to `path` through a temporary file renamed by `commit()`; stdout when `path` is undefined. */
export class Output {
  readonly #stream: NodeJS.WritableStream;
  readonly #path: string | undefined;
  readonly #temporary: string | undefined;

  constructor(path: string | undefined) {
    this.#path = path;
    if (path === undefined) this.#stream = process.stdout;
    else {
      this.#temporary = `${path}.${process.pid}.tmp`;
      this.#stream = createWriteStream(this.#temporary);
    }
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (!this.#stream.write(data)) await new Promise<void>((done) => this.#stream.once("drain", () => done()));
  }

  async commit(): Promise<void> {
    if (this.#path === undefined) return;
    await new Promise<void>((done, fail) => (this.#stream as WriteStream).end((error?: Error | null) => (error ? fail(error) : done())));
    renameSync(this.#temporary!, this.#path);
  }

  abort(): void {
    if (this.#temporary === undefined) return;
    // A write still in flight fails with ERR_STREAM_DESTROYED: expected here, not an uncaught error.
    (this.#stream as WriteStream).on("error", () => undefined);
    (this.#stream as WriteStream).destroy();
    rmSync(this.#temporary, { force: true });
  }
}

/** A resumable job's state: read (null when absent), written atomically, removed when done. */
export class StateFile<T extends { kind: string }> {
  constructor(readonly path: string) {}

  read(): T | null {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return null;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EdgeKvError(`the state file ${this.path} is not valid JSON; delete it (or pass --restart) to start over`);
    }
  }

  write(state: T): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state));
    renameSync(temporary, this.path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
