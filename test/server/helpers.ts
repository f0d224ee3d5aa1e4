import { afterAll, beforeAll, beforeEach } from "vitest";
import { FakeClock, resetRegistry, type KVRegistry } from "edge-kv";
import { createServer, type RestServer, type RestServerOptions } from "edge-kv/server";

export interface Harness {
  server: RestServer;
  registry: KVRegistry;
  clock: FakeClock;
  /** fetch against the server: `call("/resources/stores/kv", { method: "POST", ... })`. */
  call(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * One server per test file (port 0, 127.0.0.1, closed in afterAll) over the active registry, which
 * is replaced by a fresh one on a fake clock before each test.
 */
export function useServer(options: RestServerOptions = {}, headers: Record<string, string> = {}): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.server = await createServer({ port: 0, ...options });
  });
  afterAll(async () => {
    await harness.server.close();
  });
  beforeEach(() => {
    harness.clock = new FakeClock(Date.UTC(2026, 10, 23, 8, 0, 0));
    harness.registry = resetRegistry({ clock: harness.clock });
  });
  harness.call = (path, init = {}) =>
    fetch(`${harness.server.url}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  return harness;
}

export async function json(response: Response): Promise<unknown> {
  return JSON.parse(await response.text()) as unknown;
}
