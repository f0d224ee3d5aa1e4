/** The page's only way to the data: the server's REST API under ./api/, with the server's token. */
import type { TransferRecord } from "../../cli/records.js";
import { recordToLine } from "../../cli/records.js";

const TOKEN_KEY = "edge-kv-explorer-token";

/** The token from the URL the server printed (`#token=...`, never sent to the server as a URL), kept for this tab. */
export function initialToken(): string | null {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]!);
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, "", location.pathname + location.search);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

let token = initialToken();

export function setToken(value: string): void {
  token = value;
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** An answer the API refused: the status and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return token === null ? extra : { ...extra, "fastly-key": token, authorization: `Bearer ${token}` };
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`./api/${path}`, { ...init, headers: headers(init.headers as Record<string, string> | undefined) });
  if (response.ok) return response;
  const text = await response.text();
  let body: unknown = null;
  let message = text || `${response.status} ${response.statusText}`;
  try {
    body = JSON.parse(text);
    const fields = body as { error?: string; detail?: string; msg?: string };
    message = fields.error ?? fields.detail ?? fields.msg ?? message;
  } catch {
    // not JSON: keep the text
  }
  throw new ApiError(response.status, message, body);
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  return (await request(path, init)).json() as Promise<T>;
}

export interface StoreSummary {
  name: string;
  id: string;
  keys: number;
}
export interface KeyItem {
  key: string;
  size: number;
  expiresAt: number | null;
  lastModified: number;
}
export interface Entry {
  store: string;
  key: string;
  size: number;
  value: string;
  metadata: string | null;
  metadataBase64: string | null;
  generation: number;
  lastModified: number;
  expiresAt: number | null;
  contentType: string | null;
  now: number;
}

const q = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined).map(([name, value]) => [name, String(value)])).toString();
const store = (name: string) => `stores/${encodeURIComponent(name)}`;
const entry = (name: string, key: string) => `${store(name)}/entries/${encodeURIComponent(key)}`;

export const api = {
  stores: () => getJson<{ stores: StoreSummary[]; now: number }>("stores"),
  keys: (name: string, prefix: string, cursor?: string) =>
    getJson<{ items: KeyItem[]; cursor: string | null; now: number }>(`${store(name)}/keys?${q({ prefix, cursor, limit: 100 })}`),
  count: (name: string, prefix: string) => getJson<{ count: number }>(`${store(name)}/count?${q({ prefix })}`),
  entry: (name: string, key: string) => getJson<Entry>(entry(name, key)),
  put: (name: string, key: string, body: { value: string; metadata: string | null; metadataBase64?: string; ttl: number | null; mode: string; ifGenerationMatch?: number }) =>
    getJson<Entry>(entry(name, key), { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  remove: (name: string, key: string, generation: number) => request(`${entry(name, key)}?${q({ generation })}`, { method: "DELETE" }),
  removePrefix: (name: string, prefix: string) => getJson<{ deleted: number }>(`${store(name)}/keys?${q({ prefix })}`, { method: "DELETE" }),
  exportStore: async (name: string, prefix: string) => (await request(`${store(name)}/export?${q({ prefix })}`)).blob(),
  /** Fastly's batch endpoint: all-or-nothing per batch. */
  batch: (id: string, records: TransferRecord[]) =>
    request(`resources/stores/kv/${encodeURIComponent(id)}/batch`, {
      method: "PUT",
      headers: { "content-type": "application/x-ndjson" },
      body: records.map(recordToLine).join("\n"),
    }),
  operations: (signal: AbortSignal) => request("operations", { signal }),
};
