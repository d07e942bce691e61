/**
 * What is refused before any node is chosen: a path a node could read differently from the router
 * (path-policy.ts); a target or cookies larger than a node accepts (a node would reset the
 * connection), or a body over MAX_BODY_BYTES; a WebSocket handshake or state-changing request from a
 * page whose origin is not in ALLOWED_ORIGINS, and, once that is set, any script load of another site
 * (CometD's JSONP transport). A refused request reaches no node.
 */
import type { Config } from '../config/config';
import { EdgeError } from '../lib/errors';
import { pathProblem } from './path-policy';
import type { RequestHead } from './request-head';

/**
 * Methods that change state on a node: a page of another site must not send them with a visitor's
 * cookies. CometD's HTTP transports post every message, so this covers them.
 */
const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE']);

/** CometD's callback-polling transport names its callback in this query parameter. */
const JSONP_PARAM = 'jsonp';

/**
 * Would a page of another site get this answer without CORS? A script load does: `<script src>`
 * sends no `Origin` and is not subject to the same-origin policy, which is how CometD's
 * callback-polling (JSONP) transport works: `GET .../cometd?message=...&jsonp=cb`. So a request naming
 * a JSONP callback, or one a browser says it fetched as a script for a page of another site, is one no
 * listed origin needs. (Checked only with ALLOWED_ORIGINS set, like the origin rule.)
 */
function loadedAsScript({ target, headers }: RequestHead): boolean {
  // Parameter names decoded as the node decodes them (`%6Asonp` is `jsonp` to Jetty).
  const query = target.indexOf('?');
  if (query !== -1 && new URLSearchParams(target.slice(query)).has(JSONP_PARAM)) return true;
  const site = headers.get('sec-fetch-site');
  return headers.get('sec-fetch-dest') === 'script' && site !== null && site !== 'same-origin';
}

/**
 * Bytes the router adds to a request's head on its way to a node (X-Forwarded-For, -Proto and -Host,
 * X-Request-Id, the node's Host), counted against the node's limit with room to spare.
 */
const ADDED_HEAD_BYTES = 512;
/** Request line framing and the Cookie field's name and CRLFs. */
const FRAMING_BYTES = 32;

function headerTooLarge(config: Config): EdgeError {
  return new EdgeError(
    431,
    'header_too_large',
    `the request line and header fields are larger than a Co-browse node accepts (${config.maxHeaderBytes} bytes)`,
  );
}

/**
 * A 431 when the whole request head, as a node would receive it, is larger than it accepts. Walking
 * every field costs about 1.5 % of a request (callgrind), so it is not done for every request: only
 * after a node dropped the connection, to tell the client why instead of a 502 (see `refusal` for what
 * is checked up front).
 */
export function headTooLarge(head: RequestHead, config: Config): EdgeError | undefined {
  let bytes = head.method.length + head.target.length + FRAMING_BYTES + ADDED_HEAD_BYTES;
  for (const [name, value] of head.headers) bytes += name.length + value.length + 4;
  return bytes > config.maxHeaderBytes ? headerTooLarge(config) : undefined;
}

/**
 * The error that refuses this request, or undefined when it may go on to a node. The head's size is
 * checked here by the parts that make heads too large in practice, the target (414) and the cookies
 * (431); other fields only once a node has refused the request ({@link headTooLarge}).
 */
export function refusal(head: RequestHead, config: Config): EdgeError | undefined {
  const { method, headers, target, cookie } = head;
  const known = method.length + target.length + FRAMING_BYTES + ADDED_HEAD_BYTES;
  if (known > config.maxHeaderBytes) {
    return new EdgeError(414, 'uri_too_long', 'the path and query are longer than a Co-browse node accepts');
  }
  if (cookie !== null && known + cookie.length > config.maxHeaderBytes) return headerTooLarge(config);
  if (config.maxBodyBytes > 0 && Number(headers.get('content-length')) > config.maxBodyBytes) {
    return new EdgeError(
      413,
      'body_too_large',
      `the request body is larger than ${config.maxBodyBytes} bytes`,
    );
  }
  const problem = pathProblem(head.path);
  if (problem) {
    return new EdgeError(
      400,
      'path_refused',
      `the path has ${problem}, which a Co-browse node could read differently`,
    );
  }
  const allowed = config.allowedOrigins;
  if (allowed && loadedAsScript(head)) {
    return new EdgeError(
      403,
      'script_load_refused',
      'Co-browse messages cannot be carried by a script load (CometD callback-polling / JSONP)',
    );
  }
  if (allowed && (head.webSocket || STATE_CHANGING.has(method))) {
    // No Origin: not a browser's cross-site request (browsers send it on these), so nothing to check.
    const origin = headers.get('origin');
    if (origin !== null && !allowed.has(origin)) {
      return new EdgeError(
        403,
        'origin_refused',
        `pages of ${origin.slice(0, 200)} may not use this Co-browse service`,
      );
    }
  }
  return undefined;
}
