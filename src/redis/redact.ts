/** Connection URLs as they may be shown: without credentials. No Redis client here, so any module may import it. */

/** `url` with any `user:password@` part replaced by `***@` (also when the URL is otherwise malformed). */
export function redactUrl(url: string): string {
  return String(url).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, "$1***@");
}
