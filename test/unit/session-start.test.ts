/**
 * What the router reads of a POST's Bayeux messages (src/worker/session-start.ts), judged the way the
 * CometD node reads them: JSON, one message or an array, `channel` compared exactly, the last of
 * duplicate keys kept (Jetty's JSON puts each key into a map in order).
 */
import { describe, expect, it } from 'vitest';
import { bodyMessages, classifyMessages, isHandshake, mayStartSession } from '../../src/worker/session-start';

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
const JSON_TYPE = 'application/json;charset=UTF-8';

describe('the messages of a body', () => {
  it.each([
    // A session's own messages: each has a clientId, none is a handshake.
    ['[{"channel":"/meta/connect","clientId":"3bd8pq1","connectionType":"long-polling"}]', 'session'],
    ['{"channel":"/service/x","clientId":"3bd8","data":{}}', 'session'],
    ['[{"channel":"/meta/connect","clientId":"a"},{"channel":"/co-browse/x","clientId":"a"}]', 'session'],
    // A handshake, wherever it is and whatever else it carries.
    ['[{"channel":"/meta/handshake","version":"1.0"}]', 'handshake'],
    ['{"channel":"/meta/handshake","clientId":"3bd8pq1"}', 'handshake'],
    ['[{"channel":"/meta/connect","clientId":"a"},{"channel":"/meta/handshake"}]', 'handshake'],
    ['[{"channel":"/meta/connect","clientId":"a"},5,{"channel":"/meta/handshake"}]', 'handshake'],
    ['[{"channel":"\\/meta\\/handshake","clientId":"a"}]', 'handshake'],
    ['[{"chann\\u0065l":"/meta/handshake","clientId":"a"}]', 'handshake'],
    // Duplicate keys: the last one counts, as in Jetty's JSON and JSON.parse.
    ['[{"channel":"/meta/connect","clientId":"a","channel":"/meta/handshake"}]', 'handshake'],
    ['[{"channel":"/meta/handshake","channel":"/meta/connect","clientId":"a"}]', 'session'],
    ['[{"channel":"/meta/connect","clientId":"a","clientId":null}]', 'unclassified'],
    // "clientId" that is not a message's clientId.
    ['[{"channel":"/meta/handshake","ext":{"note":"\\"clientId\\":\\"x\\""}}]', 'handshake'],
    ['[{"channel":"/service/x","data":{"clientId":"a"}}]', 'unclassified'],
    ['[{"channel":"/service/x","ext":"\\"clientId\\""}]', 'unclassified'],
    // A batch with one message that is not a session's own.
    ['[{"channel":"/meta/connect","clientId":"a"},{"channel":"/meta/connect"}]', 'unclassified'],
    ['[{"channel":"/meta/connect","clientId":"a"},null]', 'unclassified'],
    [
      '[{"channel":"/meta/connect","clientId":"a"},[{"channel":"/meta/connect","clientId":"a"}]]',
      'unclassified',
    ],
    ['[{"channel":"/meta/connect","clientId":""}]', 'unclassified'],
    ['[{"channel":"/meta/connect","clientId":42}]', 'unclassified'],
    // Not Bayeux messages at all.
    ['[]', 'unclassified'],
    ['{}', 'unclassified'],
    ['"clientId"', 'unclassified'],
    ['', 'unclassified'],
    ['not json "clientId"', 'unclassified'],
    ['[{"channel":"/meta/connect","clientId":"a"}] trailing', 'unclassified'],
    ['/* c */[{"channel":"/meta/connect","clientId":"a"}]', 'unclassified'],
    ['\uFEFF[{"channel":"/meta/connect","clientId":"a"}]', 'unclassified'],
  ])('%s: %s', (text, kind) => {
    expect(classifyMessages(text)).toBe(kind);
  });
});

describe('a body as the node decodes it', () => {
  const own = bytes('[{"channel":"/meta/connect","clientId":"a"}]');

  it('is read as UTF-8 JSON whatever its media type, as CometD reads it (not a form)', () => {
    for (const type of [
      null,
      JSON_TYPE,
      'application/json',
      'application/json; charset="utf-8"',
      'text/plain;charset=UTF-8',
    ]) {
      expect(bodyMessages(own, type)).toBe('session');
    }
  });

  it('is not read when a node would decode it otherwise: a form, another charset', () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'Application/X-WWW-Form-Urlencoded; charset=UTF-8',
      'application/json;charset=Shift_JIS',
      'application/json;charset=utf-16',
      'application/json;charset=utf-8;charset=shift_jis',
      'application/json;charset=utf-8x',
      'application/json;charset=utf8',
    ]) {
      expect(bodyMessages(own, type)).toBe('unclassified');
    }
  });

  it('is not read when it is not UTF-8, was not read whole, or is absent', () => {
    const invalid = new Uint8Array([...new Uint8Array(own), 0xff]).buffer;
    expect(bodyMessages(invalid, JSON_TYPE)).toBe('unclassified');
    expect(bodyMessages(new ReadableStream(), JSON_TYPE)).toBe('unclassified');
    expect(bodyMessages(null, JSON_TYPE)).toBe('unclassified');
  });
});

describe('what the router can tell of a session start', () => {
  it('a CometD handshake, by its URL or its messages, is a new session', () => {
    expect(isHandshake('/cobrowse/cometd/handshake', null, null)).toBe(true);
    expect(
      isHandshake('/cobrowse/cometd', bytes('[{"channel":"/meta/handshake","version":"1.0"}]'), JSON_TYPE),
    ).toBe(true);
    expect(
      isHandshake('/cobrowse/cometd', bytes('[{"channel":"/meta/connect","clientId":"x"}]'), JSON_TYPE),
    ).toBe(false);
    expect(isHandshake('/cobrowse/cometd', new ReadableStream(), JSON_TYPE)).toBe(false);
  });

  it('a POST may start one unless its body, read whole, holds only messages of sessions that exist', () => {
    expect(mayStartSession(null, null)).toBe(true);
    expect(mayStartSession(bytes('{}'), JSON_TYPE)).toBe(true);
    expect(mayStartSession(bytes('[{"channel":"/service/x","clientId":"3bd8"}]'), JSON_TYPE)).toBe(false);
    expect(mayStartSession(bytes('{"channel":"/meta/handshake","clientId":"3bd8"}'), JSON_TYPE)).toBe(true);
    // A streamed body (over REPLAY_BODY_BYTES) cannot be read: it may be a handshake.
    expect(mayStartSession(new ReadableStream(), JSON_TYPE)).toBe(true);
  });
});
