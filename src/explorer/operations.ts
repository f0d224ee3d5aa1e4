/**
 * `GET /_edge-kv/api/operations`: the registry's operation events (registry.onOperation) as
 * server-sent events, one `data: {json}` message per operation, optionally only one store's
 * (`?store=NAME`). A client that reads too slowly misses events rather than growing the server's
 * memory: they are counted and announced with an `event: dropped` message once it catches up.
 */
import type { OperationEvent } from "../observer.js";
import type { KVRegistry } from "../registry.js";
import type { RestRequest } from "../server/http.js";

const KEEPALIVE_MS = 15_000;

export function streamOperations(request: RestRequest, registry: KVRegistry): void {
  const { req, res } = request;
  const store = request.query.get("store");
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
  res.write(": edge-kv operations\n\n");
  let blocked = false;
  let dropped = 0;
  const send = (text: string) => {
    if (res.write(text)) return;
    blocked = true;
    res.once("drain", () => {
      blocked = false;
      if (dropped > 0) {
        const count = dropped;
        dropped = 0;
        send(`event: dropped\ndata: ${JSON.stringify({ count })}\n\n`);
      }
    });
  };
  const unsubscribe = registry.onOperation((event: OperationEvent) => {
    if (store !== null && event.store !== store) return;
    if (blocked) return void dropped++;
    send(`data: ${JSON.stringify(event)}\n\n`);
  });
  const keepalive = setInterval(() => !blocked && res.write(": keep-alive\n\n"), KEEPALIVE_MS);
  keepalive.unref();
  const stop = () => {
    clearInterval(keepalive);
    unsubscribe();
  };
  req.once("close", stop);
  res.once("close", stop);
}
