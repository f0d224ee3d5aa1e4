/**
 * WASI preview1 for a Compute guest, implemented here rather than with `node:wasi`: a Compute
 * sandbox has no filesystem, so the guest needs only arguments, environment, clocks, randomness,
 * stdio and exit — and `node:wasi` brings hazards a per-request host meets at volume (its calls are V8
 * fast API calls whose allocations can trigger a GC inside the call, nodejs/node#46777 and #53087; an
 * ExperimentalWarning on Node 20). Every call here reads the guest's memory afresh, so memory growth
 * never leaves a stale view behind. Arguments and environment as Viceroy gives them
 * (`src/linking.rs` make_wasi_ctx: no arguments, the FASTLY_* variables).
 */

export interface GuestWasi {
  imports: Record<string, (...args: never[]) => number | void>;
  attach(memory: WebAssembly.Memory): void;
  /** Runs `_start`; returns the exit status (0 when `_start` returns without proc_exit). */
  start(instance: WebAssembly.Instance): number;
}

/** WASI errno values used here. */
const Errno = { SUCCESS: 0, BADF: 8, INVAL: 28, NOSYS: 52, SPIPE: 70 } as const;
const FILETYPE_CHARACTER_DEVICE = 2;
const RIGHTS_ALL = 0x1fffffffn;

/** Thrown by proc_exit to unwind the guest's stack. */
class ProcExit {
  constructor(readonly code: number) {}
}

const encoder = new TextEncoder();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/** Nanoseconds of the wall clock (with sub-millisecond precision) and of the monotonic clock. */
function realtimeNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}
function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

export function createWasi(env: Record<string, string>, write: (fd: 1 | 2, text: string) => void): GuestWasi {
  let memory: WebAssembly.Memory | null = null;
  const view = () => new DataView(memory!.buffer);
  const bytes = () => new Uint8Array(memory!.buffer);
  const environ = Object.entries(env).map(([name, value]) => encoder.encode(`${name}=${value}\0`));
  const decoders = { 1: new TextDecoder(), 2: new TextDecoder() };

  /** Writes NUL-terminated strings and their pointers (args_get / environ_get). */
  const writeStrings = (strings: Uint8Array[], pointersPtr: number, bufferPtr: number): number => {
    const dv = view();
    let offset = bufferPtr;
    strings.forEach((value, i) => {
      dv.setUint32(pointersPtr + i * 4, offset, true);
      bytes().set(value, offset);
      offset += value.byteLength;
    });
    return Errno.SUCCESS;
  };
  const writeSizes = (strings: Uint8Array[], countOut: number, sizeOut: number): number => {
    const dv = view();
    dv.setUint32(countOut, strings.length, true);
    dv.setUint32(sizeOut, strings.reduce((total, value) => total + value.byteLength, 0), true);
    return Errno.SUCCESS;
  };
  const isStdio = (fd: number) => fd >= 0 && fd <= 2;

  const imports: GuestWasi["imports"] = {
    args_get: (argv: number, buf: number) => writeStrings([], argv, buf),
    args_sizes_get: (countOut: number, sizeOut: number) => writeSizes([], countOut, sizeOut),
    environ_get: (pointers: number, buf: number) => writeStrings(environ, pointers, buf),
    environ_sizes_get: (countOut: number, sizeOut: number) => writeSizes(environ, countOut, sizeOut),

    clock_res_get(id: number, out: number) {
      if (id > 3) return Errno.INVAL;
      view().setBigUint64(out, id === 0 ? 1000n : 1n, true);
      return Errno.SUCCESS;
    },
    clock_time_get(id: number, _precision: bigint, out: number) {
      // 0 realtime, 1 monotonic, 2/3 process and thread CPU time (monotonic time is a fair stand-in).
      if (id > 3) return Errno.INVAL;
      view().setBigUint64(out, id === 0 ? realtimeNs() : monotonicNs(), true);
      return Errno.SUCCESS;
    },
    random_get(ptr: number, len: number) {
      for (let offset = 0; offset < len; offset += 65536) {
        crypto.getRandomValues(new Uint8Array(memory!.buffer, ptr + offset, Math.min(65536, len - offset)));
      }
      return Errno.SUCCESS;
    },
    sched_yield: () => Errno.SUCCESS,
    proc_exit(code: number) {
      throw new ProcExit(code);
    },

    fd_write(fd: number, iovs: number, iovsLen: number, nwrittenOut: number) {
      if (fd !== 1 && fd !== 2) return isStdio(fd) ? Errno.INVAL : Errno.BADF;
      const dv = view();
      let text = "";
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        text += decoders[fd].decode(new Uint8Array(memory!.buffer, ptr, len), { stream: true });
        total += len;
      }
      if (text) write(fd, text);
      dv.setUint32(nwrittenOut, total, true);
      return Errno.SUCCESS;
    },
    fd_read(fd: number, _iovs: number, _iovsLen: number, nreadOut: number) {
      if (fd !== 0) return isStdio(fd) ? Errno.INVAL : Errno.BADF;
      view().setUint32(nreadOut, 0, true); // stdin is empty
      return Errno.SUCCESS;
    },
    fd_close: (fd: number) => (isStdio(fd) ? Errno.SUCCESS : Errno.BADF),
    fd_fdstat_get(fd: number, out: number) {
      if (!isStdio(fd)) return Errno.BADF;
      const dv = view();
      dv.setUint8(out, FILETYPE_CHARACTER_DEVICE);
      dv.setUint16(out + 2, fd === 0 ? 0 : 1, true); // fdflags: append for stdout/stderr
      dv.setBigUint64(out + 8, RIGHTS_ALL, true);
      dv.setBigUint64(out + 16, 0n, true);
      return Errno.SUCCESS;
    },
    fd_fdstat_set_flags: (fd: number) => (isStdio(fd) ? Errno.SUCCESS : Errno.BADF),
    fd_seek: (fd: number) => (isStdio(fd) ? Errno.SPIPE : Errno.BADF),
    // No preopened directories: the guest's libc stops looking at the first EBADF.
    fd_prestat_get: () => Errno.BADF,
    fd_prestat_dir_name: () => Errno.BADF,
    fd_readdir: () => Errno.BADF,
    path_open: () => Errno.BADF,
    path_filestat_get: () => Errno.BADF,
    path_remove_directory: () => Errno.BADF,
    path_unlink_file: () => Errno.BADF,

    poll_oneoff(inPtr: number, outPtr: number, count: number, neventsOut: number) {
      // Subscriptions are 48 bytes: userdata u64 @0, tag u8 @8, then clock {id u32 @16, timeout u64
      // @24, precision u64 @32, flags u16 @40} or fd_readwrite {fd u32 @16}. Events are 32 bytes.
      const dv = view();
      let sleepNs: bigint | null = null;
      let clockIndex = -1;
      const ready: number[] = [];
      for (let i = 0; i < count; i++) {
        const at = inPtr + i * 48;
        const tag = dv.getUint8(at + 8);
        if (tag === 0) {
          let timeout = dv.getBigUint64(at + 24, true);
          if (dv.getUint16(at + 40, true) & 1) {
            const now = dv.getUint32(at + 16, true) === 0 ? realtimeNs() : monotonicNs();
            timeout = timeout > now ? timeout - now : 0n;
          }
          if (sleepNs === null || timeout < sleepNs) {
            sleepNs = timeout;
            clockIndex = i;
          }
        } else ready.push(i); // stdio is always ready
      }
      if (ready.length === 0 && clockIndex !== -1) {
        sleepMs(Number(sleepNs! / 1_000_000n));
        ready.push(clockIndex);
      }
      ready.forEach((index, n) => {
        const event = outPtr + n * 32;
        const subscription = inPtr + index * 48;
        dv.setBigUint64(event, dv.getBigUint64(subscription, true), true);
        dv.setUint16(event + 8, Errno.SUCCESS, true);
        dv.setUint8(event + 10, dv.getUint8(subscription + 8));
        dv.setBigUint64(event + 16, 0n, true);
        dv.setUint16(event + 24, 0, true);
      });
      dv.setUint32(neventsOut, ready.length, true);
      return Errno.SUCCESS;
    },
  };

  return {
    imports,
    attach(guestMemory) {
      memory = guestMemory;
    },
    start(instance) {
      const start = instance.exports._start as () => void;
      try {
        start();
        return 0;
      } catch (error) {
        if (error instanceof ProcExit) return error.code;
        throw error;
      }
    },
  };
}
