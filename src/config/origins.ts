/**
 * `ALLOWED_ORIGINS`: the origins whose pages may open a Co-browse WebSocket or send a state-changing
 * request through the router: the websites that carry the Co-browse script and the agent desktops.
 * Browsers send `Origin` on a WebSocket handshake but make no preflight, and a Co-browse node does not
 * check it by default (CometD's `checkOrigin` accepts all): without this list any website a visitor
 * opens can open that visitor's Co-browse socket (cross-site WebSocket hijacking, OWASP ASVS 4.4.2).
 */
import type { FieldReader } from './fields';

const UNSET_WARNING =
  "ALLOWED_ORIGINS: not set, so pages of any website may open Co-browse WebSockets and send requests with a visitor's cookies; set it to your websites' and agent desktops' origins";

/** The allowed origins as `scheme://host[:port]`, or undefined when every origin is allowed. */
export function parseAllowedOrigins(read: FieldReader, warnings: string[]): ReadonlySet<string> | undefined {
  const before = read.problems.length;
  const value = read.json('ALLOWED_ORIGINS');
  if (value === undefined || value === '') {
    if (read.problems.length === before) warnings.push(UNSET_WARNING);
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    read.problems.push(
      'ALLOWED_ORIGINS: must be a non-empty array of origins like "https://www.example.com"',
    );
    return undefined;
  }
  const origins = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const url = typeof entry === 'string' && URL.canParse(entry) ? new URL(entry) : undefined;
    // An origin is exactly what a browser sends: scheme, host and a non-default port, nothing else.
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry) {
      read.problems.push(
        `ALLOWED_ORIGINS[${index}]: must be an origin like "https://www.example.com" (scheme, host, port; no path or trailing slash)`,
      );
      return;
    }
    origins.add(url.origin);
  });
  return origins;
}
