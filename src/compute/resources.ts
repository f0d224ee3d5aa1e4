/**
 * The non-KV resources of a Compute service, held by each KVRegistry: config stores (read by both
 * `ConfigStore` and the deprecated `Dictionary`, as on Viceroy and Compute), secret stores, and the
 * `fastly:env` environment. Plain in-memory data: the runtime only reads them, tests and loaders write
 * them through these admin handles. Web-standard.
 */
import { toBytes, type Bytes } from "../admin.js";
import { EdgeKvError } from "../errors.js";
import { configStoreNameError, secretKeyError, secretStoreNameError } from "./rules.js";
import { computeContext } from "./context.js";
import { decodeUtf8Lossy, toWellFormed } from "../utf8.js";

/** Viceroy's limits for configured config store items, in characters (Unicode scalar values). */
export const ConfigStoreLimits = { MAX_KEY_CHARACTERS: 256, MAX_VALUE_CHARACTERS: 8000 } as const;

/** What Viceroy (Fastly's local server) sets for every instance; FASTLY_TRACE_ID is per request there (the host sets it). */
export const VICEROY_ENV: Readonly<Record<string, string>> = Object.freeze({
  FASTLY_CACHE_GENERATION: "0",
  FASTLY_CUSTOMER_ID: "0000000000000000000000",
  FASTLY_HOSTNAME: "localhost",
  FASTLY_IS_STAGING: "0",
  FASTLY_POP: "XXX",
  FASTLY_REGION: "Somewhere",
  FASTLY_SERVICE_ID: "0000000000000000000000",
  FASTLY_SERVICE_VERSION: "0",
  FASTLY_TRACE_ID: "00000000000000000000000000000000",
});

function characters(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);
}

/** A config store's items: string keys to string values. */
export class ConfigStoreAdmin {
  readonly name: string;
  #items = new Map<string, string>();

  constructor(name: string, entries: Record<string, string> = {}) {
    this.name = name;
    this.replace(entries);
  }

  /** The value under `key`, or null. */
  get(key: string): string | null {
    return this.#items.get(key) ?? null;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** Sets one item (Viceroy's limits: key ≤ 256 characters, value ≤ 8000 characters). */
  set(key: string, value: string): this {
    this.#check(key, value);
    this.#items.set(toWellFormed(key), toWellFormed(value));
    return this;
  }

  /** Removes one item; returns whether it was there. */
  delete(key: string): boolean {
    return this.#items.delete(key);
  }

  /** Every item, in insertion order, as a new plain object. */
  entries(): Record<string, string> {
    return Object.fromEntries(this.#items);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** Replaces every item with `entries` (all checked first: on a bad item nothing changes). */
  replace(entries: Record<string, string>): this {
    if (!plainObject(entries)) throw new EdgeKvError(`config store '${this.name}': entries must be an object mapping keys to string values, got ${describeValue(entries)}`);
    const items = Object.entries(entries);
    for (const [key, value] of items) this.#check(key, value);
    // Items reach the app as UTF-8 on Compute: a lone surrogate is U+FFFD there, in keys and values.
    this.#items = new Map((items as [string, string][]).map(([key, value]) => [toWellFormed(key), toWellFormed(value)]));
    return this;
  }

  clear(): this {
    this.#items.clear();
    return this;
  }

  #check(key: unknown, value: unknown): void {
    const where = `config store '${this.name}'`;
    if (typeof key !== "string") throw new EdgeKvError(`${where}: keys are strings, got ${describeValue(key)}`);
    if (typeof value !== "string") throw new EdgeKvError(`${where}: the value of '${key}' must be a string, got ${describeValue(value)}`);
    if (characters(key) > ConfigStoreLimits.MAX_KEY_CHARACTERS) {
      throw new EdgeKvError(`${where}: Item key named '${key}' is too long, max size is ${ConfigStoreLimits.MAX_KEY_CHARACTERS}`);
    }
    if (characters(value) > ConfigStoreLimits.MAX_VALUE_CHARACTERS) {
      throw new EdgeKvError(`${where}: Item value named '${key}' is too long, max size is ${ConfigStoreLimits.MAX_VALUE_CHARACTERS}`);
    }
  }
}

/** A secret store's secrets: names ([A-Za-z0-9_.-], 1–255 bytes) to bytes. */
export class SecretStoreAdmin {
  readonly name: string;
  #secrets = new Map<string, Uint8Array>();

  constructor(name: string, entries: Record<string, Bytes> = {}) {
    this.name = name;
    this.replace(entries);
  }

  /** A copy of the secret's bytes, or null. */
  get(key: string): Uint8Array | null {
    const bytes = this.#secrets.get(key);
    return bytes === undefined ? null : bytes.slice();
  }

  /** The secret as UTF-8 text (invalid sequences replaced, a leading U+FEFF kept), or null. */
  text(key: string): string | null {
    const bytes = this.#secrets.get(key);
    return bytes === undefined ? null : decodeUtf8Lossy(bytes);
  }

  has(key: string): boolean {
    return this.#secrets.has(key);
  }

  /** Sets one secret: a string (stored as UTF-8) or bytes (copied). */
  set(key: string, value: Bytes): this {
    this.#secrets.set(this.#checkKey(key), this.#bytes(key, value));
    return this;
  }

  delete(key: string): boolean {
    return this.#secrets.delete(key);
  }

  /** Every secret, in insertion order, as copies. */
  entries(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const [key, bytes] of this.#secrets) out[key] = bytes.slice();
    return out;
  }

  keys(): string[] {
    return [...this.#secrets.keys()];
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** Replaces every secret (all checked first: on a bad one nothing changes). */
  replace(entries: Record<string, Bytes>): this {
    if (!plainObject(entries)) throw new EdgeKvError(`secret store '${this.name}': entries must be an object mapping secret names to strings or bytes, got ${describeValue(entries)}`);
    const secrets = new Map<string, Uint8Array>();
    for (const [key, value] of Object.entries(entries)) secrets.set(this.#checkKey(key), this.#bytes(key, value));
    this.#secrets = secrets;
    return this;
  }

  clear(): this {
    this.#secrets.clear();
    return this;
  }

  /** The bytes as stored (no copy): for the SecretStore surface. */
  peek(key: string): Uint8Array | undefined {
    return this.#secrets.get(key);
  }

  #checkKey(key: unknown): string {
    if (typeof key !== "string" || secretKeyError(key) !== null) {
      throw new EdgeKvError(`secret store '${this.name}': Invalid secret name: ${String(key)} (secret names are 1–255 ASCII letters, digits, '_', '-' or '.')`);
    }
    return key;
  }

  #bytes(key: string, value: unknown): Uint8Array {
    if (typeof value === "string") return new TextEncoder().encode(value);
    try {
      return toBytes(value as Bytes, "value").slice();
    } catch {
      throw new EdgeKvError(`secret store '${this.name}': the secret '${key}' must be a string or bytes, got ${describeValue(value)}`);
    }
  }
}

/**
 * The values `env(name)` from `fastly:env` returns. Layers, lowest first: Viceroy's defaults (request
 * time only), the host's per-app / per-request values (computeContext().env), then values set here.
 * While a host evaluates an app's top-level code ("init"), the defaults are hidden, as the runtime-only
 * FASTLY_* variables are on Compute; values set here behave like `--env` build-time values and are seen
 * in both phases.
 */
export class ComputeEnv {
  /** name → value, or null for "unset" (hides a default). */
  #overrides = new Map<string, string | null>();

  /** What `env(name)` returns now: a string, or undefined when the variable does not exist. */
  get(name: string): string | undefined {
    const override = this.#overrides.get(name);
    if (override !== undefined) return override ?? undefined;
    const context = computeContext();
    const fromContext = context?.env?.[name];
    if (context?.env && Object.hasOwn(context.env, name)) return fromContext ?? undefined;
    if (context?.phase === "init") return undefined;
    return Object.hasOwn(VICEROY_ENV, name) ? VICEROY_ENV[name] : undefined;
  }

  /** Sets variables; `undefined` unsets one (so env(name) returns undefined, even for a default). */
  set(values: Record<string, string | undefined>): this {
    if (!plainObject(values)) throw new EdgeKvError(`env.set expects an object like { API_URL: "https://..." }, got ${describeValue(values)}`);
    const entries = Object.entries(values);
    for (const [name, value] of entries) {
      if (name === "" || name.includes("=") || name.includes("\0")) throw new EdgeKvError(`env.set: ${JSON.stringify(name)} is not a variable name (non-empty, no '=' or NUL)`);
      if (value !== undefined && typeof value !== "string") throw new EdgeKvError(`env.set: the value of ${name} must be a string (or undefined to unset it), got ${describeValue(value)}`);
      if (value?.includes("\0")) throw new EdgeKvError(`env.set: the value of ${name} contains a NUL character, which an environment variable cannot hold`);
    }
    // Names are UTF-8 in the runtime's environment: a lone surrogate is U+FFFD there, and in env(name).
    for (const [name, value] of entries) this.#overrides.set(toWellFormed(name), value ?? null);
    return this;
  }

  /** Every variable `env()` would return now, by name. */
  values(): Record<string, string> {
    const names = new Set([...Object.keys(VICEROY_ENV), ...Object.keys(computeContext()?.env ?? {}), ...this.#overrides.keys()]);
    const out: Record<string, string> = {};
    for (const name of [...names].sort()) {
      const value = this.get(name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  /** The values set with `set()` (null: unset), for copying into another environment. */
  overrides(): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {};
    for (const [name, value] of this.#overrides) out[name] = value ?? undefined;
    return out;
  }

  /** Forgets every value set with `set()` (back to the defaults), then sets `values` if given. */
  reset(values?: Record<string, string | undefined>): this {
    this.#overrides.clear();
    if (values !== undefined) this.set(values);
    return this;
  }
}

/** Config stores and secret stores by name (the registry delegates to one of these). */
export class ComputeResources {
  readonly env = new ComputeEnv();
  readonly configStores = new Map<string, ConfigStoreAdmin>();
  readonly secretStores = new Map<string, SecretStoreAdmin>();

  defineConfigStore(name: string, entries: Record<string, string> = {}, options: { replace?: boolean } = {}): ConfigStoreAdmin {
    const problem = typeof name === "string" ? configStoreNameError("ConfigStore", name) : "the name must be a string";
    if (problem) throw new EdgeKvError(`cannot define config store ${JSON.stringify(name)}: ${problem.replace("ConfigStore constructor: ", "")} (ConfigStore and Dictionary could never open it)`);
    if (this.configStores.has(name) && !options.replace) {
      throw new EdgeKvError(`config store '${name}' is already defined. Pass { replace: true }, or change its items with configStore('${name}').replace({...})`);
    }
    const admin = new ConfigStoreAdmin(name, entries);
    this.configStores.set(name, admin);
    return admin;
  }

  configStore(name: string): ConfigStoreAdmin {
    const admin = this.configStores.get(name);
    if (!admin) throw unknownResource("config store", name, [...this.configStores.keys()], "defineConfigStore", "[local_server.config_stores]", "configStores");
    return admin;
  }

  defineSecretStore(name: string, entries: Record<string, Bytes> = {}, options: { replace?: boolean } = {}): SecretStoreAdmin {
    const problem = typeof name === "string" ? secretStoreNameError(name) : "the name must be a string";
    if (problem) throw new EdgeKvError(`cannot define secret store ${JSON.stringify(name)}: Invalid secret store name (${problem.replace("SecretStore constructor: ", "")})`);
    if (this.secretStores.has(name) && !options.replace) {
      throw new EdgeKvError(`secret store '${name}' is already defined. Pass { replace: true }, or change its secrets with secretStore('${name}').replace({...})`);
    }
    const admin = new SecretStoreAdmin(name, entries);
    this.secretStores.set(name, admin);
    return admin;
  }

  secretStore(name: string): SecretStoreAdmin {
    const admin = this.secretStores.get(name);
    if (!admin) throw unknownResource("secret store", name, [...this.secretStores.keys()], "defineSecretStore", "[local_server.secret_stores]", "secretStores");
    return admin;
  }

  /** Forgets every config and secret store and every env value set. */
  reset(): void {
    this.configStores.clear();
    this.secretStores.clear();
    this.env.reset();
  }
}

export function unknownResource(kind: string, name: string, defined: string[], define: string, section: string, option: string): EdgeKvError {
  const list = defined.length ? `Defined ${kind}s: ${defined.join(", ")}.` : `No ${kind}s are defined.`;
  return new EdgeKvError(`${kind} '${name}' is not defined. ${list} Define it with registry.${define}('${name}', {...}), in fastly.toml ${section}, or in the edgeKv({ ${option} }) plugin options`);
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
