/** Import and export from the page, in the CLI's formats: Fastly batch NDJSON, or a fastly.toml JSON store file. */
import { useRef } from "preact/hooks";
import { api, type StoreSummary } from "./api.js";
import { looksLikeJsonStore, parseJsonStore, parseRecordLine, type TransferRecord } from "../../cli/records.js";

const BATCH = 1000;

export function ExportButton(props: { store: string; prefix: string; onError: (error: unknown) => void }) {
  const run = async () => {
    try {
      const blob = await api.exportStore(props.store, props.prefix);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `${props.store}${props.prefix ? `-${props.prefix}` : ""}.ndjson`.replace(/[^A-Za-z0-9._-]+/g, "_");
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      props.onError(error);
    }
  };
  return (
    <button type="button" id="export" onClick={run}>
      Export
    </button>
  );
}

export function ImportButton(props: { store: StoreSummary; onDone: (text: string) => void; onError: (text: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const run = async (file: File) => {
    let records: { record: TransferRecord; line: number }[];
    try {
      records = await parse(await file.text());
    } catch (error) {
      return props.onError(`${file.name}: ${(error as Error).message}. Nothing was imported.`);
    }
    let written = 0;
    for (let start = 0; start < records.length; start += BATCH) {
      const batch = records.slice(start, start + BATCH);
      try {
        await api.batch(props.store.id, batch.map((item) => item.record));
      } catch (error) {
        const index = (error as { body?: { errors?: { index: number; reason: string }[] } }).body?.errors?.[0];
        const where = index === undefined ? "" : `line ${batch[index.index]?.line}: ${index.reason}. `;
        return props.onError(`${file.name}: ${where}${index === undefined ? `${(error as Error).message}. ` : ""}${written} records were imported before this batch of ${batch.length}, which was not.`);
      }
      written += batch.length;
    }
    props.onDone(`Imported ${written} ${written === 1 ? "record" : "records"} from ${file.name} into '${props.store.name}'`);
  };
  return (
    <>
      <button type="button" id="import" onClick={() => input.current?.click()}>
        Import…
      </button>
      <input
        ref={input}
        id="import-file"
        type="file"
        accept=".ndjson,.jsonl,.json,application/x-ndjson,application/json"
        hidden
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          event.currentTarget.value = "";
          if (file) void run(file);
        }}
      />
    </>
  );
}

/** Every record of the file with its line, all checked before anything is sent. */
async function parse(text: string): Promise<{ record: TransferRecord; line: number }[]> {
  if (looksLikeJsonStore(text)) return (await parseJsonStore(text)).map((record, index) => ({ record, line: index + 1 }));
  const out: { record: TransferRecord; line: number }[] = [];
  text.split("\n").forEach((line, index) => {
    const record = parseRecordLine(line, index + 1);
    if (record !== null) out.push({ record, line: index + 1 });
  });
  return out;
}
