/**
 * `event.client.geo` as Viceroy answers it (src/config/geolocation.rs): fastly.toml's
 * [local_server.geolocation] records by client address, Viceroy's default record for loopback clients
 * unless use_default_loopback = false, else null — through loadApp's `geolocation` option, the fastly.toml
 * reader (every Viceroy startup error), and the Vitest plugin's default.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EdgeKvError } from "edge-kv";
import { VICEROY_LOOPBACK_GEO, type LoadAppOptions } from "edge-kv/host";
import { readFastlyService } from "edge-kv/node";
import { clearCurrentTestKv, configureTestKv } from "edge-kv/testing";
import { geolocationOption } from "../../src/node/fastly-toml-geolocation.js";
import { removeTempFolders, tempFolder } from "../node/helpers.js";
import { inlineApp } from "./helpers.js";

afterAll(removeTempFolders);
afterEach(() => clearCurrentTestKv());

/** An app answering each request with its client's geo, read twice (a new object each time). */
async function geoApp(options: LoadAppOptions = {}) {
  const seen: Array<{ geo: Record<string, unknown> | null; fresh: boolean }> = [];
  const { app, reported } = await inlineApp(
    [
      (event) => {
        const geo = event.client.geo;
        seen.push({ geo, fresh: geo === null || geo !== event.client.geo });
        event.respondWith(new Response());
      },
    ],
    options,
  );
  const geoOf = async (address: string) => {
    await app.fetch("/", { client: { address } });
    expect(reported).toEqual([]);
    const { geo, fresh } = seen.pop()!;
    expect(fresh).toBe(true);
    return geo;
  };
  return geoOf;
}

const OSLO = { city: "Oslo", as_number: 64500, latitude: 59.91, mobile: false };

describe("loadApp({ geolocation })", () => {
  it("a configured address gets its record (keys sorted, as serde_json writes them), matched as an IP address; loopback clients the default record; others null", async () => {
    const geoOf = await geoApp({ geolocation: { addresses: { "203.0.113.7": OSLO, "2001:DB8:0:0:0:0:0:1": { city: "Bergen" }, "127.0.0.2": { city: "Loop" } } } });
    const oslo = await geoOf("203.0.113.7");
    expect(oslo).toEqual(OSLO);
    expect(Object.keys(oslo!)).toEqual(["as_number", "city", "latitude", "mobile"]);
    expect(await geoOf("2001:db8::1")).toEqual({ city: "Bergen" });
    expect(await geoOf("127.0.0.2")).toEqual({ city: "Loop" });
    expect(await geoOf("127.0.0.1")).toEqual(VICEROY_LOOPBACK_GEO);
    expect(await geoOf("0:0:0:0:0:0:0:1")).toEqual(VICEROY_LOOPBACK_GEO);
    expect(await geoOf("::ffff:127.0.0.1")).toBeNull(); // IPv4-mapped: not loopback for Rust's IpAddr
    expect(await geoOf("198.51.100.1")).toBeNull();
  });

  it("useDefaultLoopback: false leaves loopback clients without a record unless one is configured", async () => {
    const geoOf = await geoApp({ geolocation: { useDefaultLoopback: false, addresses: { "::1": { city: "Six" } } } });
    expect(await geoOf("127.0.0.1")).toBeNull();
    expect(await geoOf("::1")).toEqual({ city: "Six" });
  });

  it("a function gives the record of an address (null: none), asked at every access", async () => {
    const asked: Array<string | null> = [];
    const geoOf = await geoApp({ geolocation: (address) => (asked.push(address), address === "192.0.2.1" ? { city: "Lookup", asn: 1 } : null) });
    expect(await geoOf("192.0.2.1")).toEqual({ asn: 1, city: "Lookup" });
    expect(await geoOf("127.0.0.1")).toBeNull();
    expect(asked).toEqual(["192.0.2.1", "192.0.2.1", "127.0.0.1"]); // looked up at every access
  });

  it("refuses addresses that are not IP addresses and records that are not objects", async () => {
    await expect(geoApp({ geolocation: { addresses: { "example.com": {} } } })).rejects.toThrow(
      new EdgeKvError("loadApp: geolocation.addresses: 'example.com' is not an IP address (IPv4 like 203.0.113.7, or IPv6 like 2001:db8::1)"),
    );
    await expect(geoApp({ geolocation: { addresses: { "01.2.3.4": {} } } })).rejects.toThrow("'01.2.3.4' is not an IP address");
    await expect(geoApp({ geolocation: { addresses: { "1.2.3.4": "Oslo" as never } } })).rejects.toThrow("loadApp: geolocation.addresses['1.2.3.4'] must be a record object like { city: \"Oslo\" }");
    await expect(geoApp({ geolocation: { useDefaultLoopback: "no" as never } })).rejects.toThrow("loadApp: geolocation.useDefaultLoopback must be true or false, got string");
    await expect(geoApp({ geolocation: { adresses: {} } as never })).rejects.toThrow('loadApp: geolocation: unknown field "adresses". Fields are: useDefaultLoopback, addresses');
  });
});

function project(files: Record<string, string>): string {
  const folder = tempFolder("edge-kv-geolocation-");
  for (const [name, contents] of Object.entries(files)) {
    mkdirSync(join(folder, name, ".."), { recursive: true });
    writeFileSync(join(folder, name), contents);
  }
  return join(folder, "fastly.toml");
}

async function failure(toml: string, files: Record<string, string> = {}): Promise<string> {
  const path = project({ "fastly.toml": toml, ...files });
  const error = await readFastlyService(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EdgeKvError);
  return (error as Error).message.replaceAll(path, "<toml>").replaceAll(join(path, ".."), "<dir>");
}

describe("fastly.toml [local_server.geolocation]", () => {
  it("inline-toml addresses (strings, integers, floats, booleans) and use_default_loopback", async () => {
    const toml = project({
      "fastly.toml": `[local_server.geolocation]
use_default_loopback = false
format = "inline-toml"
[local_server.geolocation.addresses."203.0.113.7"]
city = "Oslo"
as_number = 64500
latitude = 59.91
mobile = false
[local_server.geolocation.addresses."2001:DB8::0:1"]
city = "Bergen"
`,
    });
    const { geolocation, warnings } = await readFastlyService(toml);
    expect(warnings).toEqual([]);
    expect(geolocation).toEqual({ useDefaultLoopback: false, addresses: { "203.0.113.7": OSLO, "2001:db8::1": { city: "Bergen" } } });
  });

  it("a json file (relative to the fastly.toml) maps addresses to objects of any JSON; no format: no addresses", async () => {
    const toml = project({
      "fastly.toml": `[local_server.geolocation]\nformat = "json"\nfile = "geo/map.json"\n`,
      "geo/map.json": JSON.stringify({ "198.51.100.1": { city: "Tromsø", extra: { nested: [1, null] } } }),
    });
    expect((await readFastlyService(toml)).geolocation).toEqual({
      useDefaultLoopback: true,
      addresses: { "198.51.100.1": { city: "Tromsø", extra: { nested: [1, null] } } },
      file: join(toml, "../geo/map.json"),
    });
    expect((await readFastlyService(project({ "fastly.toml": "[local_server.geolocation]\nuse_default_loopback = true\n" }))).geolocation).toEqual({ useDefaultLoopback: true, addresses: {} });
  });

  it("keys Viceroy does not read are ignored with a warning", async () => {
    const toml = project({ "fastly.toml": "[local_server.geolocation]\nuse_default_loopbak = false\n" });
    expect((await readFastlyService(toml)).warnings).toEqual([`edge-kv: ${toml}: unknown key 'use_default_loopbak' in [local_server.geolocation] is ignored (Viceroy ignores it too)`]);
  });

  const section = (body: string) => `[local_server.geolocation]\n${body}\n`;
  it.each([
    ["use_default_loopback not a boolean", section('use_default_loopback = "no"'), "definition was not provided as a TOML table"],
    ["format not a string", section("format = 3"), "'format' field was not a string"],
    ["format empty", section('format = ""'), "'format' field is empty"],
    ["format unknown", section('format = "csv"'), "'csv' is not a valid format for the geolocation mapping. Supported format(s) are: 'inline-toml', 'json'."],
    ["addresses missing", section('format = "inline-toml"'), "missing 'addresses' field"],
    ["addresses not a table", section('format = "inline-toml"\naddresses = 1'), "'addresses' was not provided as a TOML table"],
    ["file missing", section('format = "json"'), "missing 'file' field"],
    ["file not a string", section('format = "json"\nfile = 3'), "'file' field was not a string"],
    ["file empty", section('format = "json"\nfile = ""'), "'file' field is empty"],
  ])("%s: Viceroy's text", async (_case, toml, text) => {
    expect(await failure(toml)).toBe(`edge-kv: invalid configuration for 'geolocation_mapping': ${text} [file <toml>]`);
  });

  it("a bad address, a record that is not a table, a value of another type: Viceroy's texts, naming the key", async () => {
    const inline = (table: string) => section(`format = "inline-toml"\n${table}`);
    expect(await failure(inline('[local_server.geolocation.addresses."300.1.1.1"]\ncity = "x"'))).toBe(
      "edge-kv: invalid configuration for 'geolocation_mapping': IP address not valid: 'invalid IP address syntax' [file <toml>, key '300.1.1.1']",
    );
    expect(await failure(inline('[local_server.geolocation.addresses]\n"1.2.3.4" = "Oslo"'))).toBe(
      "edge-kv: invalid configuration for 'geolocation_mapping': inline geolocation value was not a string [file <toml>, key '1.2.3.4']",
    );
    expect(await failure(inline('[local_server.geolocation.addresses."1.2.3.4"]\ncity = ["a"]'))).toBe(
      "edge-kv: invalid configuration for 'geolocation_mapping': inline geolocation value was not a string [file <toml>, key '1.2.3.4.city']",
    );
  });

  it("json: not an object, an entry that is not an object, a bad address, an unreadable file", async () => {
    const json = section('format = "json"\nfile = "g.json"');
    expect(await failure(json, { "g.json": "[]" })).toBe(
      "edge-kv: invalid configuration for 'geolocation_mapping': The file is of the wrong format. The file is expected to contain a single JSON Object [file <dir>/g.json (listed in <toml>)]",
    );
    expect(await failure(json, { "g.json": '{"1.2.3.4": "Oslo"}' })).toBe(
      "edge-kv: invalid configuration for 'geolocation_mapping': inline geolocation value was not a string [file <dir>/g.json (listed in <toml>), key '1.2.3.4']",
    );
    expect(await failure(json, { "g.json": '{"::1::": {}}' })).toBe(
      "edge-kv: invalid configuration for 'geolocation_mapping': IP address not valid: 'invalid IP address syntax' [file <dir>/g.json (listed in <toml>), key '::1::']",
    );
    expect(await failure(json)).toBe("edge-kv: invalid configuration for 'geolocation_mapping': cannot read '<dir>/g.json': no such file. [file <dir>/g.json (listed in <toml>)]");
  });

  it("edge-kv dev's lookup reads a json file again at every lookup, as Viceroy does; a file broken later gives no record and says why once", async () => {
    const toml = project({ "fastly.toml": section('format = "json"\nfile = "g.json"'), "g.json": JSON.stringify({ "192.0.2.9": { city: "First" } }) });
    const geolocation = (await readFastlyService(toml)).geolocation!;
    const problems: string[] = [];
    const geoOf = await geoApp({ geolocation: geolocationOption(geolocation, (message) => problems.push(message)) });
    expect(await geoOf("192.0.2.9")).toEqual({ city: "First" });
    writeFileSync(join(toml, "../g.json"), JSON.stringify({ "192.0.2.9": { city: "Edited" } }));
    expect(await geoOf("192.0.2.9")).toEqual({ city: "Edited" });
    writeFileSync(join(toml, "../g.json"), "{");
    expect(await geoOf("192.0.2.9")).toBeNull();
    expect(await geoOf("127.0.0.1")).toEqual(VICEROY_LOOPBACK_GEO);
    expect(problems).toEqual([
      `edge-kv: [local_server.geolocation] ${join(toml, "../g.json")}: The file is of the wrong format. The file is expected to contain a single JSON Object; no geolocation records until it is fixed`,
    ]);
  });
});

describe("the Vitest plugin's fastly.toml", () => {
  it("its [local_server.geolocation] is what loadApp gives event.client.geo by default", async () => {
    configureTestKv({ stores: {}, geolocation: { addresses: { "203.0.113.7": OSLO } } });
    const geoOf = await geoApp();
    expect(await geoOf("203.0.113.7")).toEqual(OSLO);
    expect(await geoOf("127.0.0.1")).toEqual(VICEROY_LOOPBACK_GEO);
    configureTestKv({ stores: {} });
    expect(await (await geoApp())("203.0.113.7")).toBeNull();
  });
});
