/**
 * Alerts to a webhook receiver on localhost (a real HTTP server): every node transition and "no node
 * serving" arrives as JSON that Slack and generic receivers take, signed with HMAC-SHA256 of the body;
 * a receiver answering 500 gets the same alert again after a backoff, and an alert it took is never
 * sent again. The status page and JSON show the deliveries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from './cluster';

const ADMIN_TOKEN = 'alerts-token-0123456789abcdef0123456';
const SECRET = 'alert-secret-7f3e9c2a1b';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Received {
  at: number;
  id: string;
  signed: boolean;
  body: { text: string; event: string; node: string | null; cause: string; id: string; at: number };
  answered: number;
}

/** Verifies `sha256=<hex>` as the README's snippet does. */
function validSignature(body: string, header: string | undefined): boolean {
  const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return (
    header !== undefined &&
    header.length === expected.length &&
    timingSafeEqual(Buffer.from(header), Buffer.from(expected))
  );
}

const received: Received[] = [];
/** Alert ids the receiver refuses (500) on their first tries: how many more times. */
const refuse = new Map<string, number>();
let receiver: Server;
let receiverUrl = '';
beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as Received['body'];
      const id = String(req.headers['x-cobrowse-edge-alert']);
      // The first "disabled" alert is refused twice.
      if (body.event === 'disabled' && !refuse.has(id)) refuse.set(id, 2);
      const left = refuse.get(id) ?? 0;
      const answered = left > 0 ? 500 : 200;
      if (left > 0) refuse.set(id, left - 1);
      received.push({
        at: Date.now(),
        id,
        signed: validSignature(text, req.headers['x-cobrowse-edge-signature'] as string),
        body,
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks/cobrowse`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('alerts', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], {
    ADMIN_TOKEN,
    HEALTH_INTERVAL_MS: 500,
    HEALTH_TIMEOUT_MS: 300,
    // Read when the router starts, after the receiver listens.
    get ALERT_WEBHOOK_URL() {
      return receiverUrl;
    },
    ALERT_WEBHOOK_SECRET: SECRET,
  });
  const act = (id: string, action: string) =>
    fetch(`${cluster.router.url}/__lb/nodes/${id}/${action}`, { method: 'POST', headers: auth });
  const taken = (event: string, node: string | null) =>
    received.filter((item) => item.answered === 200 && item.body.event === event && item.body.node === node);

  it('posts each transition once, signed, as Slack and generic receivers read it', async () => {
    await act('CB_Server_2', 'drain');
    await expect.poll(() => taken('draining', 'CB_Server_2').length, { timeout: 10_000 }).toBe(1);
    const [drained] = taken('draining', 'CB_Server_2');
    expect(drained?.signed).toBe(true);
    expect(drained?.body).toMatchObject({
      text: expect.stringMatching(/^Co-browse node CB_Server_2 is draining/),
      event: 'draining',
      node: 'CB_Server_2',
      cause: expect.any(String),
      id: drained?.id,
    });
    // The nodes' first sight (their slow start) was told too.
    await expect.poll(() => taken('added', 'CB_Server_1').length, { timeout: 10_000 }).toBe(1);
  });

  it('retries after a 500 with backoff, and never sends an alert it delivered again', async () => {
    await act('CB_Server_2', 'disable');
    await expect.poll(() => taken('disabled', 'CB_Server_2').length, { timeout: 15_000 }).toBe(1);
    const tries = received.filter((item) => item.body.event === 'disabled');
    expect(tries.map((item) => item.answered)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((item) => item.id)).size).toBe(1);
    // Backoff: 1 s, then 2 s (each at least; the board's round adds to it).
    expect((tries[1]?.at ?? 0) - (tries[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect((tries[2]?.at ?? 0) - (tries[1]?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    const res = await fetch(`${cluster.router.url}/__lb/status`, { headers: auth });
    const { alerts } = (await res.json()) as {
      alerts: { recent: { outcome: string; alert: { event: string } }[] };
    };
    expect(
      alerts.recent.filter((item) => item.alert.event === 'disabled').map((item) => item.outcome),
    ).toEqual(['delivered', 'failed', 'failed']);
  });

  it('tells when no node serves, and when one does again', async () => {
    await act('CB_Server_1', 'disable');
    await expect.poll(() => taken('no-node-serving', null).length, { timeout: 10_000 }).toBe(1);
    await act('CB_Server_1', 'enable');
    await expect.poll(() => taken('serving-again', null).length, { timeout: 10_000 }).toBe(1);
    await act('CB_Server_2', 'enable');
    // Wait out a few rounds: nothing delivered is ever delivered again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const delivered = received.filter((item) => item.answered === 200).map((item) => item.id);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(received.every((item) => item.signed)).toBe(true);
  });
});
