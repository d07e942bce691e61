/**
 * The alert outbox (src/telemetry/alerts.ts) against a real HTTP receiver on loopback: signature,
 * body, backoff, give-up after the delivery window, one delivery run at a time.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertOutbox, alertBody, DELIVERY_WINDOW_MS, signatureOf } from '../../src/telemetry/alerts';

const SECRET = 'unit-secret-0123456789';
let status = 200;
const seen: { id: string; signature: string; body: string }[] = [];
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
        signature: String(req.headers['x-cobrowse-edge-signature']),
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

it('signs the body as HMAC-SHA256 under the secret, as a receiver checks it', async () => {
  const body = alertBody({ id: 'a', event: 'down', node: 'CB_Server_1', at: 1, cause: 'timeout' });
  const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  expect(await signatureOf(body, SECRET)).toBe(expected);
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
  expect(seen[1]?.signature).toBe(await signatureOf(seen[1]?.body ?? '', SECRET));

  // An alert older than the window is given up on its next failure.
  status = 500;
  outbox.add('up', 'CB_Server_2', 'passed', Date.now() - DELIVERY_WINDOW_MS);
  await outbox.deliverDue(config);
  expect(outbox.pending()).toBe(0);
  expect(outbox.recent()[0]).toMatchObject({ outcome: 'given up', error: 'answered 500' });
});
