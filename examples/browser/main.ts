/**
 * The prototype page: a `links` store on IndexedDB (database `edge-kv:links`), so links survive a
 * reload, and the DOM wiring around the Shortener.
 */
import { defineStore, IndexedDBDriver } from "edge-kv";
import { Shortener } from "./shortener.js";

defineStore("links", { driver: new IndexedDBDriver({ storeName: "links" }) });
const shortener = new Shortener("links");

const form = document.querySelector<HTMLFormElement>("#new-link")!;
const slugInput = document.querySelector<HTMLInputElement>("#slug")!;
const urlInput = document.querySelector<HTMLInputElement>("#url")!;
const list = document.querySelector<HTMLUListElement>("#links")!;
const status = document.querySelector<HTMLParagraphElement>("#status")!;
const count = document.querySelector<HTMLSpanElement>("#count")!;

async function render(): Promise<void> {
  const links = await shortener.all();
  list.replaceChildren(
    ...links.map((link) => {
      const item = document.createElement("li");
      item.dataset.slug = link.slug;
      const anchor = document.createElement("a");
      anchor.href = link.url;
      anchor.textContent = `/${link.slug}`;
      const target = document.createElement("span");
      target.className = "target";
      target.textContent = link.url;
      const created = document.createElement("time");
      created.dateTime = link.created;
      created.textContent = link.created.slice(0, 19).replace("T", " ");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "delete";
      remove.textContent = "Delete";
      remove.addEventListener("click", () => void run(async () => {
        await shortener.remove(link.slug);
        return `Deleted /${link.slug}`;
      }));
      item.append(anchor, " → ", target, " ", created, " ", remove);
      return item;
    }),
  );
  count.textContent = `${links.length} link${links.length === 1 ? "" : "s"}`;
}

let actions = 0;

/**
 * Runs an action, redraws, then shows its outcome (or its error, e.g. a full storage quota).
 * `body[data-actions]` counts finished actions, so a test knows when the page has settled.
 */
async function run(action: () => Promise<string>): Promise<void> {
  let message: string;
  let failed = false;
  try {
    message = await action();
  } catch (error) {
    message = error instanceof Error ? error.message : String(error);
    failed = true;
  }
  await render().catch(() => undefined);
  status.textContent = message;
  status.className = failed ? "error" : "ok";
  document.body.dataset.actions = String(++actions);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void run(async () => {
    const slug = slugInput.value.trim();
    const result = await shortener.create(slug, urlInput.value.trim());
    if (!result.ok) throw new Error(result.reason);
    form.reset();
    return `Created /${slug}`;
  });
});

render().then(
  () => (document.body.dataset.ready = "true"),
  (error: unknown) => {
    status.textContent = error instanceof Error ? error.message : String(error);
    status.className = "error";
  },
);
