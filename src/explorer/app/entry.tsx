/** One entry: its value in four views, its facts with a live TTL countdown, and the guarded editor. */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api, type Entry } from "./api.js";
import { base64ToBytes, bytesToBase64, defaultView, formatBytes, formatDuration, formatTime, hexDump, imageType, prettyJson, utf8OrNull, type ViewKind } from "./format.js";
import type { Notice } from "./main.js";

/** Views show at most this much of a value. */
const PREVIEW_BYTES = 256 * 1024;

export interface EditTarget {
  store: string;
  /** null: a new key. */
  entry: Entry | null;
}

export function EntryPanel(props: { store: string; entryKey: string; onEdit: (entry: Entry) => void; onChanged: (text: string) => void; onNotice: (notice: Notice) => void }) {
  const [entry, setEntry] = useState<Entry | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [fetchedAt, setFetchedAt] = useState(0);
  const [view, setView] = useState<ViewKind | null>(null);
  const [tick, setTick] = useState(Date.now());

  const load = async () => {
    try {
      const loaded = await api.entry(props.store, props.entryKey);
      const at = Date.now();
      setEntry(loaded);
      setFetchedAt(at);
      setTick(at);
      setMissing(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setEntry(null);
        setMissing(`Key '${props.entryKey}' does not exist (deleted or expired).`);
      } else props.onNotice({ kind: "error", text: (error as Error).message });
    }
  };
  useEffect(() => void load(), []);

  // The countdown runs on the stores' clock: the server's `now` when read, plus the time passed since.
  const remaining = entry?.expiresAt == null ? null : entry.expiresAt - (entry.now + (tick - fetchedAt));
  useEffect(() => {
    if (entry?.expiresAt == null) return;
    const timer = setInterval(() => setTick(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [entry]);
  useEffect(() => {
    if (remaining !== null && remaining <= 0) void load();
  }, [remaining !== null && remaining <= 0]);

  const bytes = useMemo(() => (entry === null ? new Uint8Array(0) : base64ToBytes(entry.value)), [entry]);
  if (missing !== null) return <section id="entry" class="entry"><p id="entry-missing">{missing}</p></section>;
  if (entry === null) return <section id="entry" class="entry" aria-busy="true"><p>Loading…</p></section>;
  const shown = view ?? defaultView(bytes);

  const remove = async () => {
    try {
      await api.remove(entry.store, entry.key, entry.generation);
      props.onChanged(`Deleted '${entry.key}'`);
    } catch (error) {
      props.onNotice({ kind: error instanceof ApiError && error.status === 412 ? "conflict" : "error", text: (error as Error).message });
    }
  };

  return (
    <section id="entry" class="entry" aria-label={`Entry ${entry.key}`}>
      <h2 id="entry-key">{entry.key}</h2>
      <dl class="facts">
        <dt>Size</dt>
        <dd id="entry-size">{`${entry.size.toLocaleString("en-US")} bytes (${formatBytes(entry.size)})`}</dd>
        <dt>Generation</dt>
        <dd id="entry-generation">{String(entry.generation)}</dd>
        <dt>Last modified</dt>
        <dd id="entry-modified">{formatTime(entry.lastModified)}</dd>
        <dt>TTL</dt>
        <dd id="entry-ttl">{remaining === null ? "none" : remaining > 0 ? `expires in ${formatDuration(remaining)}` : "expired"}</dd>
        <dt>Metadata</dt>
        <dd id="entry-metadata">{entry.metadata ?? (entry.metadataBase64 !== null ? `(not UTF-8, base64) ${entry.metadataBase64}` : "none")}</dd>
        {entry.contentType !== null && (
          <>
            <dt>Content-Type</dt>
            <dd>{entry.contentType}</dd>
          </>
        )}
      </dl>
      <div class="views" role="group" aria-label="Show the value as">
        {(["text", "json", "hex", "image"] as const).map((kind) => (
          <button type="button" id={`view-${kind}`} aria-pressed={shown === kind} onClick={() => setView(kind)}>
            {kind === "json" ? "JSON" : kind[0]!.toUpperCase() + kind.slice(1)}
          </button>
        ))}
        <span class="spacer" />
        <button type="button" id="edit" onClick={() => props.onEdit(entry)}>
          Edit
        </button>
        <button type="button" id="delete" class="danger" onClick={remove}>
          Delete
        </button>
      </div>
      <ValueView bytes={bytes} view={shown} />
    </section>
  );
}

function ValueView(props: { bytes: Uint8Array; view: ViewKind }) {
  const { bytes, view } = props;
  const cut = bytes.length > PREVIEW_BYTES;
  const head = cut ? bytes.subarray(0, PREVIEW_BYTES) : bytes;
  const [imageUrl, setImageUrl] = useState<string | null>(null);
  const type = view === "image" ? imageType(bytes) : null;
  useEffect(() => {
    if (type === null) return;
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
    setImageUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [bytes, type]);
  const note = cut ? <p class="note">{`Showing the first ${formatBytes(PREVIEW_BYTES)} of ${formatBytes(bytes.length)}.`}</p> : null;
  if (view === "image") {
    if (type === null) return <p id="value" class="note">Not an image (no PNG, JPEG, GIF, WebP, AVIF or SVG signature).</p>;
    return imageUrl && <img id="value-image" src={imageUrl} alt="The value as an image" />;
  }
  if (view === "hex") return <>{note}<pre id="value" class="hex">{hexDump(head, PREVIEW_BYTES)}</pre></>;
  const text = utf8OrNull(bytes);
  if (text === null) return <p id="value" class="note">Not UTF-8 text: use the Hex view.</p>;
  if (view === "json") {
    const pretty = prettyJson(text);
    if (pretty === null) return <p id="value" class="note">Not valid JSON: use the Text view.</p>;
    return <pre id="value" class="json">{pretty}</pre>;
  }
  return <>{note}<pre id="value">{cut ? text.slice(0, PREVIEW_BYTES) : text}</pre></>;
}

type Mode = "overwrite" | "add" | "append" | "prepend";

export function Editor(props: { target: EditTarget; onCancel: () => void; onSaved: (key: string, text: string) => void; onNotice: (notice: Notice) => void }) {
  const { entry, store } = props.target;
  const original = useMemo(() => (entry === null ? new Uint8Array(0) : base64ToBytes(entry.value)), [entry]);
  const originalText = entry === null ? "" : utf8OrNull(original);
  // A text box turns CR and CR LF into LF: text holding CR is edited by picking a file, like binary.
  const valueNote = originalText === null ? "The value is binary: pick a file to replace it." : originalText.includes("\r") ? "The value holds carriage returns, which a text box would turn into line feeds: pick a file to replace it." : null;
  const metadataNote = entry?.metadataBase64 != null ? "The metadata is not UTF-8 text: it is kept as it is." : entry?.metadata?.includes("\r") ? "The metadata holds carriage returns, which a text box would turn into line feeds: it is kept as it is." : null;
  const [key, setKey] = useState(entry?.key ?? "");
  const [value, setValue] = useState(valueNote !== null ? "" : entry !== null && defaultView(original) === "json" ? prettyJson(originalText!)! : originalText!);
  // What the user did not touch is saved exactly as it was read (not as the text box shows it).
  const [valueEdited, setValueEdited] = useState(entry === null);
  const [file, setFile] = useState<Uint8Array | null>(null);
  const [mode, setMode] = useState<Mode>(entry === null ? "add" : "overwrite");
  const [metadata, setMetadata] = useState(metadataNote !== null ? "" : (entry?.metadata ?? ""));
  const [metadataEdited, setMetadataEdited] = useState(entry === null);
  const remaining = entry?.expiresAt == null ? null : Math.ceil((entry.expiresAt - entry.now) / 1000);
  const [ttl, setTtl] = useState(remaining === null ? "" : String(Math.max(remaining, 0)));
  const [conflict, setConflict] = useState<Entry | null>(null);

  const save = async (event: Event) => {
    event.preventDefault();
    if (key === "") return props.onNotice({ kind: "error", text: "Give the key a name." });
    if (ttl !== "" && !/^\d+$/.test(ttl.trim())) return props.onNotice({ kind: "error", text: "TTL is a whole number of seconds, or empty for none." });
    const bytes = file ?? (valueEdited ? new TextEncoder().encode(value) : original);
    const kept = metadataEdited ? null : entry;
    try {
      const saved = await api.put(store, key, {
        value: bytesToBase64(bytes),
        metadata: kept !== null ? kept.metadata : metadata === "" ? null : metadata,
        ...(kept?.metadataBase64 != null && { metadataBase64: kept.metadataBase64 }),
        ttl: ttl.trim() === "" ? null : Number(ttl),
        mode,
        // The guard: write only over the generation this page read (a new key: only if still absent).
        ...(entry !== null && key === entry.key && mode !== "add" && { ifGenerationMatch: entry.generation }),
      });
      props.onSaved(key, `Saved '${key}' (generation ${saved.generation ?? "-"})`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        setConflict(((error.body as { current?: Entry | null } | null)?.current ?? null) as Entry | null);
        props.onNotice({ kind: "conflict", text: `Conflict: ${error.message.replace(/^conflict: /, "")}. Nothing was overwritten.` });
      } else props.onNotice({ kind: "error", text: (error as Error).message });
    }
  };

  return (
    <form id="editor" class="editor" onSubmit={save} aria-label={entry === null ? "New key" : `Edit ${entry.key}`}>
      <h2>{entry === null ? "New key" : `Edit ${entry.key}`}</h2>
      <label>
        Key <input id="edit-key" value={key} readOnly={entry !== null} onInput={(event) => setKey(event.currentTarget.value)} autocomplete="off" spellcheck={false} />
      </label>
      <label>
        Value{" "}
        <textarea id="edit-value" rows={10} value={value} disabled={file !== null || valueNote !== null} spellcheck={false} onInput={(event) => (setValue(event.currentTarget.value), setValueEdited(true))} />
      </label>
      {valueNote !== null && file === null && <p class="note" id="value-note">{valueNote}</p>}
      <label>
        Or the bytes of a file{" "}
        <input id="edit-file" type="file" onChange={async (event) => {
          const picked = event.currentTarget.files?.[0];
          setFile(picked ? new Uint8Array(await picked.arrayBuffer()) : null);
        }} />
      </label>
      <label>
        Mode{" "}
        <select id="edit-mode" value={mode} onChange={(event) => setMode(event.currentTarget.value as Mode)}>
          <option value="overwrite">overwrite</option>
          <option value="add">add (only if absent)</option>
          <option value="append">append</option>
          <option value="prepend">prepend</option>
        </select>
      </label>
      <label>
        Metadata (empty for none){" "}
        <textarea id="edit-metadata" rows={2} value={metadata} disabled={metadataNote !== null} spellcheck={false} onInput={(event) => (setMetadata(event.currentTarget.value), setMetadataEdited(true))} />
      </label>
      {metadataNote !== null && <p class="note" id="metadata-note">{metadataNote}</p>}
      <label>
        TTL in seconds (empty for none) <input id="edit-ttl" inputMode="numeric" value={ttl} onInput={(event) => setTtl(event.currentTarget.value)} />
      </label>
      {conflict !== null && (
        <div id="conflict" class="conflict">
          <p>{`Now in the store (generation ${conflict.generation}):`}</p>
          <pre>{utf8OrNull(base64ToBytes(conflict.value)) ?? "(binary value)"}</pre>
        </div>
      )}
      <div class="buttons">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" id="save">
          Save
        </button>
      </div>
    </form>
  );
}
