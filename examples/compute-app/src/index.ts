/** The Compute entry point: Fastly's runtime delivers each request as a `fetch` event. */
import { handleRequest } from "./app.js";

interface FetchEvent extends Event {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

addEventListener("fetch", (event) => (event as FetchEvent).respondWith(handleRequest((event as FetchEvent).request)));
