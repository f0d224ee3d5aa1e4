/**
 * The explorer page: stores, keys by prefix (paged with the store's cursor), one entry at a time, an
 * editor guarded by the generation the page read, delete by prefix, import/export and the live
 * operation log. Preact renders every value as text nodes: nothing from a store becomes HTML.
 */
import { render } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, setToken, type KeyItem, type StoreSummary } from "./api.js";
import { EntryPanel, Editor, type EditTarget } from "./entry.js";
import { formatBytes, formatDuration } from "./format.js";
import { OperationLog } from "./log.js";
import { ExportButton, ImportButton } from "./transfer.js";

export interface Notice {
  kind: "ok" | "error" | "conflict";
  text: string;
}

function App() {
  const [stores, setStores] = useState<StoreSummary[] | null>(null);
  const [needToken, setNeedToken] = useState(false);
  const [store, setStore] = useState<string | null>(null);
  const [prefix, setPrefix] = useState("");
  const [keys, setKeys] = useState<{ items: KeyItem[]; cursor: string | null; now: number; count: number | null } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<EditTarget | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [confirm, setConfirm] = useState<{ text: string; run: () => Promise<void> } | null>(null);
  const [revision, setRevision] = useState(0); // bumped after every change, to reload what is shown
  const search = useRef(0);

  const fail = useCallback((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) setNeedToken(true);
    setNotice({ kind: "error", text: error instanceof Error ? error.message : String(error) });
  }, []);

  const loadStores = useCallback(async () => {
    try {
      const { stores } = await api.stores();
      setStores(stores);
      setNeedToken(false);
      setStore((current) => current ?? stores[0]?.name ?? null);
    } catch (error) {
      fail(error);
    }
  }, [fail]);

  useEffect(() => void loadStores(), [loadStores, revision]);

  // Keys under the prefix: searched as you type (the newest search wins), first page and count.
  useEffect(() => {
    if (store === null) return;
    const ticket = ++search.current;
    const timer = setTimeout(async () => {
      try {
        const [page, { count }] = await Promise.all([api.keys(store, prefix), api.count(store, prefix)]);
        if (ticket === search.current) setKeys({ ...page, count });
      } catch (error) {
        if (ticket === search.current) fail(error);
      }
    }, 120);
    return () => clearTimeout(timer);
  }, [store, prefix, revision, fail]);

  const more = async () => {
    if (store === null || keys?.cursor == null) return;
    try {
      const page = await api.keys(store, prefix, keys.cursor);
      setKeys({ ...page, items: [...keys.items, ...page.items], count: keys.count });
    } catch (error) {
      fail(error);
    }
  };

  const changed = (text: string) => {
    setNotice({ kind: "ok", text });
    setRevision((n) => n + 1);
  };

  const deletePrefix = async () => {
    if (store === null) return;
    try {
      const { count } = await api.count(store, prefix);
      const n = count.toLocaleString("en-US");
      const where = prefix === "" ? `all ${n} keys of store '${store}'` : `${n} ${count === 1 ? "key" : "keys"} under prefix '${prefix}' in store '${store}'`;
      setConfirm({
        text: `Delete ${where}? This cannot be undone.`,
        run: async () => {
          const { deleted } = await api.removePrefix(store, prefix);
          setSelected(null);
          changed(`Deleted ${deleted} ${deleted === 1 ? "key" : "keys"}`);
        },
      });
    } catch (error) {
      fail(error);
    }
  };

  // "/" jumps to the prefix search, Escape closes the editor.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLSelectElement;
      if (event.key === "/" && !typing) {
        event.preventDefault();
        document.getElementById("prefix")?.focus();
      } else if (event.key === "Escape" && editing !== null) setEditing(null);
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [editing]);

  const current = stores?.find((summary) => summary.name === store) ?? null;
  return (
    <div class="layout" data-ready={stores !== null ? "true" : "false"}>
      <header>
        <h1>edge-kv explorer</h1>
        <span class="hint">Press / to search keys</span>
      </header>
      {needToken && <TokenForm onToken={(token) => (setToken(token), setRevision((n) => n + 1))} />}
      <nav aria-label="Stores">
        <h2>Stores</h2>
        <ul id="stores">
          {stores?.map((summary) => (
            <li key={summary.name}>
              <button
                type="button"
                data-store={summary.name}
                aria-current={summary.name === store ? "true" : undefined}
                onClick={() => (setStore(summary.name), setSelected(null), setEditing(null), setPrefix(""), setNotice(null))}
              >
                <span class="name">{summary.name}</span>
                <span class="count">{summary.keys.toLocaleString("en-US")}</span>
              </button>
            </li>
          ))}
        </ul>
        {stores?.length === 0 && <p class="empty">No stores are defined on this server.</p>}
      </nav>
      <main>
        {notice && (
          <p id="notice" class={`notice ${notice.kind}`} role={notice.kind === "ok" ? "status" : "alert"}>
            {notice.text}
          </p>
        )}
        {store !== null && current !== null && (
          <section aria-label="Keys" class="keys">
            <div class="toolbar">
              <label>
                Prefix{" "}
                <input id="prefix" type="search" value={prefix} placeholder="type to filter keys" autocomplete="off" spellcheck={false} onInput={(event) => setPrefix(event.currentTarget.value)} />
              </label>
              <button type="button" id="new-key" onClick={() => setEditing({ store, entry: null })}>
                New key
              </button>
              <button type="button" id="delete-prefix" class="danger" onClick={deletePrefix}>
                Delete prefix…
              </button>
              <ExportButton store={store} prefix={prefix} onError={fail} />
              <ImportButton store={current} onDone={changed} onError={(text) => setNotice({ kind: "error", text })} />
            </div>
            <p id="key-count" class="count-line">
              {keys?.count == null ? "…" : `${keys.count.toLocaleString("en-US")} ${keys.count === 1 ? "key" : "keys"}${prefix ? ` under '${prefix}'` : ""}`}
              {keys && keys.count !== null && `, showing ${keys.items.length.toLocaleString("en-US")}`}
            </p>
            <KeyList keys={keys?.items ?? []} now={keys?.now ?? 0} selected={selected} onSelect={(key) => (setSelected(key), setEditing(null))} />
            {keys?.cursor != null && (
              <button type="button" id="more" onClick={more}>
                Load more keys
              </button>
            )}
          </section>
        )}
        {store !== null && selected !== null && editing === null && (
          <EntryPanel
            key={`${store}\u0000${selected}\u0000${revision}`}
            store={store}
            entryKey={selected}
            onEdit={(entry) => setEditing({ store, entry })}
            onChanged={changed}
            onNotice={setNotice}
          />
        )}
        {editing !== null && (
          <Editor
            target={editing}
            onCancel={() => setEditing(null)}
            onSaved={(key, text) => (setEditing(null), setSelected(key), changed(text))}
            onNotice={setNotice}
          />
        )}
      </main>
      <OperationLog stores={stores?.map((summary) => summary.name) ?? []} />
      {confirm && (
        <ConfirmDialog
          text={confirm.text}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const { run } = confirm;
            setConfirm(null);
            run().catch(fail);
          }}
        />
      )}
    </div>
  );
}

function KeyList(props: { keys: KeyItem[]; now: number; selected: string | null; onSelect: (key: string) => void }) {
  // Up/Down move between keys, Enter opens one (they are buttons).
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const buttons = [...document.querySelectorAll<HTMLButtonElement>("#keys button")];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = buttons[index + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  };
  return (
    <ul id="keys" onKeyDown={onKeyDown}>
      {props.keys.map((item) => (
        <li key={item.key} data-key={item.key}>
          <button type="button" aria-current={item.key === props.selected ? "true" : undefined} onClick={() => props.onSelect(item.key)}>
            <span class="key">{item.key}</span>
            <span class="size">{formatBytes(item.size)}</span>
            <span class="ttl">{item.expiresAt === null ? "" : `TTL ${formatDuration(item.expiresAt - props.now)}`}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function TokenForm(props: { onToken: (token: string) => void }) {
  const [value, setValue] = useState("");
  return (
    <form id="token-form" class="token" onSubmit={(event) => (event.preventDefault(), props.onToken(value))}>
      <label>
        This server requires a token{" "}
        <input id="token" type="password" value={value} onInput={(event) => setValue(event.currentTarget.value)} />
      </label>
      <button type="submit">Use token</button>
    </form>
  );
}

function ConfirmDialog(props: { text: string; onConfirm: () => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  // Open it in the same task that renders it: with useEffect (after paint) the question showed while the
  // dialog was not yet modal, and an Escape pressed then did nothing.
  useLayoutEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog id="confirm" ref={dialog} onCancel={(event) => (event.preventDefault(), props.onCancel())}>
      <p id="confirm-text">{props.text}</p>
      <div class="buttons">
        <button type="button" id="confirm-cancel" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" id="confirm-ok" class="danger" onClick={props.onConfirm}>
          Delete
        </button>
      </div>
    </dialog>
  );
}

render(<App />, document.getElementById("root")!);
