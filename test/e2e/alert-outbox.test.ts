/**
 * The alert outbox (src/board/alerts.ts) against a real HTTP receiver on loopback: signature (as
 * the verifier docs/operating.md shows, examples/verify-alert.mjs, checks it), body, backoff, give-up after the
 * delivery window, one delivery run at a time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertVerifier } from '../../examples/verify-alert.mjs';
import { signedHeaders, TIMESTAMP_HEADER } from '../../src/board/alert-signature';
import { AlertOutbox, alertBody, DELIVERY_WINDOW_MS } from '../../src/board/alerts';

const SECRET = 'unit-secret-0123456789';
let status = 200;
const seen: { id: string; headers: IncomingHttpHeaders; body: string }[] = [];
let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({
        id: String(req.headers['x-cobrowse-edge-alert']),
        headers: req.headers,
        body,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** The board's key-value store, in memory. */
function memoryKv() {
  const map = new Map<string, unknown>();
  return {
    get: <T>(key: string) => map.get(key) as T | undefined,
    put: <T>(key: string, value: T) => void map.set(key, structuredClone(value)),
  };
}

it('signs the timestamp with the body, as the verifier in docs/operating.md checks it', async () => {
  const body = alertBody({ id: 'a', event: 'down', node: 'CB_Server_1', at: 1, cause: 'timeout' });
  const headers = await signedHeaders(body, SECRET, Date.now());
  expect(alertVerifier(SECRET)(headers, body)).toMatchObject({ ok: true, alert: { id: 'a' } });
  // Signed together: another timestamp, or another secret, is not this signature.
  const later = { ...headers, [TIMESTAMP_HEADER]: String(Number(headers[TIMESTAMP_HEADER]) + 1) };
  expect(alertVerifier(SECRET)(later, body)).toEqual({ ok: false, reason: 'signature' });
  expect(alertVerifier(`${SECRET}x`)(headers, body)).toEqual({ ok: false, reason: 'signature' });
  expect(JSON.parse(body)).toMatchObject({
    text: 'Co-browse node CB_Server_1 is DOWN: timeout',
    event: 'down',
  });
});

it('delivers once, retries a refused alert with backoff, and gives up after the window', async () => {
  const outbox = new AlertOutbox(memoryKv());
  const config = { url, secret: SECRET };
  seen.length = 0;
  status = 500;
  outbox.add('down', 'CB_Server_1', 'timeout');
  // Two runs at once are one run: one try.
  await Promise.all([outbox.deliverDue(config), outbox.deliverDue(config)]);
  expect(seen).toHaveLength(1);
  expect(outbox.pending()).toBe(1);
  // Not due again before its backoff (1 s).
  await outbox.deliverDue(config);
  expect(seen).toHaveLength(1);
  status = 200;
  await outbox.deliverDue(config, Date.now() + 1500);
  expect(seen).toHaveLength(2);
  expect(seen[0]?.id).toBe(seen[1]?.id);
  expect(outbox.pending()).toBe(0);
  await outbox.deliverDue(config, Date.now() + 60_000);
  expect(seen).toHaveLength(2);
  expect(outbox.recent().map((delivery) => delivery.outcome)).toEqual(['delivered', 'failed']);
  // Both tries signed; the second is the same alert again, as a receiver that took the first sees it.
  const verify = alertVerifier(SECRET);
  expect(seen.map((request) => verify(request.headers, request.body))).toMatchObject([
    { ok: true },
    { ok: false, reason: 'repeat' },
  ]);

  // An alert older than the window is given up on its next failure.
  status = 500;
  outbox.add('up', 'CB_Server_2', 'passed', Date.now() - DELIVERY_WINDOW_MS);
  await outbox.deliverDue(config);
  expect(outbox.pending()).toBe(0);
  expect(outbox.recent()[0]).toMatchObject({ outcome: 'given up', error: 'answered 500' });
});
