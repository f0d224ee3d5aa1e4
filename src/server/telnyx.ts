import type { DialectContext } from "./context.js";
import { sendJson, type RestError, type RestRequest } from "./http.js";

export function renderTelnyxError(request: RestRequest, error: RestError): void {
  sendJson(request.res, error.status, { error: error.message });
}

export async function handleTelnyx(_request: RestRequest, _context: DialectContext): Promise<boolean> {
  return false;
}
