/**
 * Shared set-up of the Redis test files: one server (or one cluster) per test file, started in
 * beforeAll and stopped in afterAll, and drivers on fresh store names (so tests never see each
 * other's data without flushing the server).
 */
import { afterAll, beforeAll } from "vitest";
import type { DriverFactory } from "../reliability/support.js";
import { RedisDriver, type RedisDriverOptions } from "edge-kv/redis";
import { startCluster, startRedis, type RedisCluster, type RedisServer, type ServerOptions } from "./servers.js";

/** The server of this test file (valid from beforeAll on). */
export function useRedisServer(options: ServerOptions = {}): { readonly server: RedisServer; readonly url: string } {
  const holder = {} as { server: RedisServer; url: string };
  beforeAll(async () => {
    holder.server = await startRedis(options);
    holder.url = holder.server.url;
  });
  afterAll(async () => {
    await holder.server?.stop();
  });
  return holder;
}

/** A 3-master cluster for this test file; `url` lists every master as a seed node. */
export function useRedisCluster(): { readonly cluster: RedisCluster; readonly url: string } {
  const holder = {} as { cluster: RedisCluster; url: string };
  beforeAll(async () => {
    holder.cluster = await startCluster(3);
    holder.url = holder.cluster.urls.join(",");
  }, 60_000);
  afterAll(async () => {
    await holder.cluster?.stop();
  });
  return holder;
}

let stores = 0;
/** A store name no other test of this process uses. */
export function freshStoreName(label: string): string {
  return `${label}-${process.pid}-${++stores}`;
}

/** Reliability-suite driver factory: a fresh store per sequence; `twin` or `reopen` open a second driver (own connection) on it. */
export function redisFactory(url: () => string, mode: "reopen" | "twin", options: Partial<RedisDriverOptions> = {}): DriverFactory {
  return () => {
    const storeName = freshStoreName("model");
    const open = () => new RedisDriver({ ...options, url: url(), storeName });
    const driver = open();
    const cleanup = async () => {
      await open().destroy();
    };
    return mode === "twin" ? { driver, cleanup, twin: open } : { driver, cleanup, reopen: open };
  };
}
