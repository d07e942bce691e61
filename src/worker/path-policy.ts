/**
 * Which request paths may reach a node: only those a Jetty (or Tomcat) node reads exactly as the
 * router does. A proxy compares paths as text; a Jetty 9 node percent-decodes them (also its own
 * `%uHHHH`), strips `;` parameters from each segment and then resolves dot segments. So a path that
 * is "below /cobrowse" as text can name a resource outside that context once a node decodes it:
 * `/cobrowse/..%2finternal`, `/cobrowse/..;/internal`. This module refuses every such form.
 *
 * The path checked is the one forwarded, as the router's URL parser left it: workerd has already
 * turned `\` into `/` and resolved plain dot segments, `%2e` spellings included (WHATWG URL), so those
 * can only arrive here hidden (behind `;`, or encoded twice). Anchors: Envoy's edge settings
 * (`normalize_path`, `merge_slashes`, `path_with_escaped_slashes_action: REJECT_REQUEST`) and Jetty 12's
 * default URI compliance, which rejects ambiguous segments, separators and parameters.
 */

/** Characters whose presence needs the full check; a path without any of them passes as it is. */
const NEEDS_A_LOOK = /[%;]|\/\.|\/\//;
/** A `%` not followed by two hex digits: Jetty's `%uHHHH`, or a broken escape. */
const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/;
/** An encoded `/` or `\`: a segment boundary only the node would see. */
const ENCODED_SEPARATOR = /%(2f|5c)/i;
/** An encoded `%` before what reads as an escape: decoded twice, it is something else. */
const DOUBLE_ENCODING = /%25(?:[0-9a-fA-F]{2}|u)/i;
/** NUL, other C0 controls and DEL, encoded (a raw one cannot be in a parsed path). */
const CONTROL = /%(?:[01][0-9a-fA-F]|7f)/i;

/**
 * The segment a node resolves: with any `;` parameter removed (an encoded `;` too: servers differ on
 * whether they strip it before or after decoding) and its dots decoded.
 */
function nodeSegment(segment: string): string {
  const semicolon = segment.search(/;|%3b/i);
  const name = semicolon === -1 ? segment : segment.slice(0, semicolon);
  return name.replace(/%2e/gi, '.');
}

/**
 * Merges runs of `/` into one, as Envoy's `merge_slashes` does: a client built on a base URL with a
 * trailing slash sends `/cobrowse//cometd` and means `/cobrowse/cometd`, and a node that keeps the
 * empty segment might map it differently. Merging first gives both sides the same segments.
 */
export function mergeSlashes(pathname: string): string {
  return pathname.includes('//') ? pathname.replace(/\/{2,}/g, '/') : pathname;
}

/** Why the node could read `pathname` (already merged) differently from the router, or undefined. */
export function pathProblem(pathname: string): string | undefined {
  if (!NEEDS_A_LOOK.test(pathname)) return undefined;
  if (BAD_ESCAPE.test(pathname)) return 'a "%" that is not followed by two hex digits';
  if (ENCODED_SEPARATOR.test(pathname)) return 'an encoded "/" or "\\"';
  if (DOUBLE_ENCODING.test(pathname)) return 'a doubly encoded character';
  if (CONTROL.test(pathname)) return 'an encoded control character';
  for (const segment of pathname.split('/')) {
    const resolved = nodeSegment(segment);
    if (resolved === '.' || resolved === '..') return 'a dot segment';
  }
  return undefined;
}
