/** The live operation log: every store operation the server's registry made, newest first, filterable. */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";

interface OperationEvent {
  store: string;
  operation: string;
  key?: string;
  prefix?: string;
  startedAt: number;
  durationMs: number;
  outcome: string;
  error?: { name: string; message: string };
  mode?: string;
  context?: Record<string, unknown>;
}

/** Rows kept in the page. */
const KEEP = 500;
let nextId = 0;

export function OperationLog(props: { stores: string[] }) {
  const [rows, setRows] = useState<(OperationEvent & { id: number })[]>([]);
  const [dropped, setDropped] = useState(0);
  const [store, setStore] = useState("");
  const [key, setKey] = useState("");
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState("connecting");

  useEffect(() => {
    if (paused) return;
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = async () => {
      try {
        const response = await api.operations(abort.signal);
        setState("live");
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const messages = buffer.split("\n\n");
          buffer = messages.pop()!;
          const events: (OperationEvent & { id: number })[] = [];
          for (const message of messages) {
            const data = message.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
            if (data === "") continue;
            const parsed = JSON.parse(data) as OperationEvent | { count: number };
            if (message.startsWith("event: dropped")) setDropped((n) => n + (parsed as { count: number }).count);
            else events.push({ ...(parsed as OperationEvent), id: nextId++ });
          }
          if (events.length > 0) setRows((old) => [...events.reverse(), ...old].slice(0, KEEP));
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      setState("reconnecting");
      retry = setTimeout(connect, 2000);
    };
    void connect();
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [paused]);

  const shown = rows.filter((row) => (store === "" || row.store === store) && (key === "" || (row.key ?? row.prefix ?? "").includes(key)));
  return (
    <section id="log" class="log" aria-label="Operation log">
      <div class="toolbar">
        <h2>Operations</h2>
        <span id="log-state" class="hint">{paused ? "paused" : state}</span>
        <label>
          Store{" "}
          <select id="log-store" value={store} onChange={(event) => setStore(event.currentTarget.value)}>
            <option value="">all</option>
            {props.stores.map((name) => (
              <option value={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Key contains <input id="log-key" type="search" value={key} onInput={(event) => setKey(event.currentTarget.value)} autocomplete="off" />
        </label>
        <button type="button" id="log-pause" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" id="log-clear" onClick={() => (setRows([]), setDropped(0))}>
          Clear
        </button>
      </div>
      {dropped > 0 && <p class="note">{`${dropped} operations were too fast to show.`}</p>}
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Request</th>
            <th>Store</th>
            <th>Operation</th>
            <th>Key</th>
            <th>Outcome</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody id="log-rows">
          {shown.map((row) => (
            <tr key={row.id} class={row.outcome}>
              <td>{new Date(row.startedAt).toISOString().slice(11, 23)}</td>
              <td>{row.context?.requestId === undefined ? "" : String(row.context.requestId)}</td>
              <td>{row.store}</td>
              <td>{row.operation + (row.mode && row.mode !== "overwrite" ? ` (${row.mode})` : "")}</td>
              <td>{row.key ?? (row.prefix !== undefined ? `${row.prefix}*` : "")}</td>
              <td title={row.error?.message}>{row.outcome}</td>
              <td>{`${row.durationMs.toFixed(2)} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
