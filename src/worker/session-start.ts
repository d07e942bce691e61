/**
 * What the router can tell about a request that may start a Co-browse session, before any node sees
 * it. Co-browse starts a session with a CometD handshake (Bayeux 1.0): a `/meta/handshake` message,
 * which CometD's HTTP transports post to `<url>/handshake` (the JavaScript client appends the message
 * type by default). Every later message of the session carries its `clientId`. Over WebSocket the
 * handshake is a message inside the socket, so the router cannot see it there.
 *
 * A POST's body is read as the node reads it: CometD parses it as JSON (one message object, or an
 * array of them) and acts on each message by its `channel`, compared exactly; only `/meta/handshake`
 * creates a session, whatever else the message or its batch holds. CometD's JSON parsers (Jetty's,
 * its default, and Jackson's) keep the last of duplicate keys, as `JSON.parse` does, and read any
 * text `JSON.parse` accepts as the same values; what it refuses the router does not classify.
 *
 * Not classified, and so counted as a possible new session: no body, a body not read whole (over
 * REPLAY_BODY_BYTES), bytes that are not UTF-8 JSON, a form (CometD's synchronous long-polling
 * transport reads the `message` parameters of the query and body instead), and a charset other than
 * UTF-8 (CometD decodes by the declared charset, in which bytes that are `"` or `\` in UTF-8 may be
 * parts of other characters). Any other Content-Type is read as JSON, as CometD's asynchronous
 * transport (the default) reads it.
 */

/**
 * What a POST's body says: a handshake among its messages, or every message a session's own (a
 * `clientId` on another channel), or neither (any other body: it may start a session).
 */
export type BodyMessages = 'handshake' | 'session' | 'unclassified';

const HANDSHAKE = '/meta/handshake';

const FORM = /x-www-form-urlencoded/i;
const CHARSET = /charset/gi;
const UTF8_CHARSET = /charset[ \t]*=[ \t]*(?:utf-8|"utf-8")(?=[ \t;,]|$)/gi;

/**
 * Does a node read a body of this Content-Type as UTF-8 JSON? Not a form, and every mention of a
 * charset (a node takes one of them, not necessarily the first) names UTF-8.
 */
function readAsUtf8Json(contentType: string | null): boolean {
  if (contentType === null) return true;
  if (FORM.test(contentType)) return false;
  return contentType.match(CHARSET)?.length === contentType.match(UTF8_CHARSET)?.length;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What the messages in `text` say, read as a CometD node reads them. */
export function classifyMessages(text: string): BodyMessages {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'unclassified';
  }
  const messages: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  let own = messages.length > 0;
  // Every message is looked at: a handshake anywhere in the batch starts a session.
  for (const message of messages) {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      own = false;
      continue;
    }
    const { channel, clientId } = message as { channel?: unknown; clientId?: unknown };
    if (channel === HANDSHAKE) return 'handshake';
    if (typeof clientId !== 'string' || clientId === '') own = false;
  }
  return own ? 'session' : 'unclassified';
}

/**
 * What a POST's body says (see above). `body` is what will be sent: an ArrayBuffer when it was read
 * whole, a stream, or null; `contentType` is the request's Content-Type field.
 */
export function bodyMessages(body: BodyInit | null, contentType: string | null): BodyMessages {
  if (!(body instanceof ArrayBuffer)) return 'unclassified';
  if (!readAsUtf8Json(contentType)) return 'unclassified';
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return 'unclassified';
  }
  return classifyMessages(text);
}

/**
 * Certainly a new session: a CometD handshake, posted to `.../handshake` or with a handshake among
 * the messages of its body. Such a request is routed as one even when it carries a pin: never to a
 * draining node or one of weight 0.
 */
export function isHandshake(path: string, body: BodyInit | null, contentType: string | null): boolean {
  return path.endsWith('/handshake') || bodyMessages(body, contentType) === 'handshake';
}

/**
 * Could this POST start a session? Yes unless its body, read whole, holds only messages of sessions
 * that exist. It counts against the new-session budget, pinned or not: a pin does not make it an old
 * session's.
 */
export function mayStartSession(body: BodyInit | null, contentType: string | null): boolean {
  return bodyMessages(body, contentType) !== 'session';
}
