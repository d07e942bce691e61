/**
 * A webhook that redirects (ALERT_WEBHOOK_URL answering 307, then 302, pointing at another receiver on
 * localhost), against the router in workerd: the board does not follow, so the other receiver never
 * gets the signed alert; each redirect is a failed try, logged and retried as any failure, and the
 * alert is delivered once the webhook takes it.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useCluster } from './support/cluster';
import { readStatus } from './support/status';

const ADMIN_TOKEN = 'redirects-token-0123456789abcdef012345';
const SECRET = 'alert-secret-3c8d1e6f5a';

/** Requests that reached the receiver the webhook points at. */
const elsewhere: { method: string; signature: string | undefined }[] = [];
/** The webhook's tries, in order: the alert's id and what it answered. */
const tries: { id: string; answered: number }[] = [];
/** What the webhook answers an alert's first, second and later tries. */
const ANSWERS = [307, 302, 200];
let webhook: Server;
let other: Server;
let webhookUrl = '';

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
};

beforeAll(async () => {
  other = createServer((req, res) => {
    elsewhere.push({
      method: String(req.method),
      signature: req.headers['x-cobrowse-edge-signature'] as string,
    });
    req.resume().on('end', () => res.writeHead(200).end());
  });
  const otherUrl = await listen(other);
  webhook = createServer((req, res) => {
    const id = String(req.headers['x-cobrowse-edge-alert']);
    const answered =
      ANSWERS[Math.min(tries.filter((item) => item.id === id).length, ANSWERS.length - 1)] ?? 200;
    tries.push({ id, answered });
    req.resume().on('end', () => {
      res.writeHead(answered, answered === 200 ? {} : { location: `${otherUrl}/collect` }).end();
    });
  });
  webhookUrl = `${await listen(webhook)}/hooks/cobrowse`;
});
afterAll(async () => {
  await Promise.all([webhook, other].map((server) => new Promise((resolve) => server?.close(resolve))));
});

const cluster = useCluster(['CB_Server_1'], {
  ADMIN_TOKEN,
  HEALTH_INTERVAL_MS: 500,
  HEALTH_TIMEOUT_MS: 300,
  // Read when the router starts, after the receivers listen.
  get ALERT_WEBHOOK_URL() {
    return webhookUrl;
  },
  ALERT_WEBHOOK_SECRET: SECRET,
});

interface AlertStatus {
  alerts: { recent: { outcome: string; error: string | null; alert: { id: string } }[] };
}

it('follows no redirect: the alert goes nowhere else, and each redirect is a failed try, retried', async () => {
  // Draining the node wakes the board, which tells it (and the node's first sight, when it does).
  await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_1/drain`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  await expect.poll(() => tries.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const id = tries[0]?.id;
  const deliveries = async () => {
    const { alerts } = await readStatus<AlertStatus>(cluster.router.url, ADMIN_TOKEN);
    return alerts.recent.filter((item) => item.alert.id === id);
  };
  const delivered = async () => (await deliveries()).some((item) => item.outcome === 'delivered');
  await expect.poll(delivered, { timeout: 15_000 }).toBe(true);
  expect(await deliveries()).toMatchObject([
    { outcome: 'delivered', error: null },
    { outcome: 'failed', error: 'answered 302: a redirect, not followed' },
    { outcome: 'failed', error: 'answered 307: a redirect, not followed' },
  ]);
  expect(tries.filter((item) => item.id === id).map((item) => item.answered)).toEqual(ANSWERS);
  // A followed redirect would have reached it before the board saw the answer it logged.
  expect(elsewhere).toEqual([]);
});
