/**
 * Alerts to a webhook receiver on localhost (a real HTTP server that checks each one with the verifier
 * docs/operating.md shows, examples/verify-alert.mjs): every node transition and "no node serving" arrives as JSON
 * that Slack and generic receivers take, signed with HMAC-SHA256 of its timestamp and body; a replay
 * (the same try again, later, or with another timestamp) is refused; a receiver answering 500 gets the
 * same alert again after a backoff, and an alert it took is never sent again. The status page and JSON
 * show the deliveries.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertVerifier } from '../../examples/verify-alert.mjs';
import { useCluster } from './support/cluster';

const ADMIN_TOKEN = 'alerts-token-0123456789abcdef0123456';
const SECRET = 'alert-secret-7f3e9c2a1b';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

type Verdict = ReturnType<ReturnType<typeof alertVerifier>>;

interface Received {
  at: number;
  id: string;
  headers: IncomingHttpHeaders;
  text: string;
  /** Signature and timestamp valid (a verifier of its own: no ids remembered). */
  signed: boolean;
  /** The receiver's verifier on a try it looked at; undefined on a try it refused unread (500). */
  verdict: Verdict | undefined;
  body: { text: string; event: string; node: string | null; cause: string; id: string; at: number };
  answered: number;
}

const received: Received[] = [];
/** Alert ids the receiver refuses (500) on their first tries: how many more times. */
const refuse = new Map<string, number>();
/** The receiver's verifier: it remembers the ids it took. */
const verify = alertVerifier(SECRET);
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
      // The first "disabled" alert is refused twice, before it is checked (a receiver that fails).
      if (body.event === 'disabled' && !refuse.has(id)) refuse.set(id, 2);
      const left = refuse.get(id) ?? 0;
      if (left > 0) refuse.set(id, left - 1);
      const verdict = left > 0 ? undefined : verify(req.headers, text);
      // As docs/operating.md "Alerts" says: 2xx for an alert taken and for a repeat, 401 for one that fails the check.
      const answered = verdict === undefined ? 500 : verdict.ok || verdict.reason === 'repeat' ? 200 : 401;
      received.push({
        at: Date.now(),
        id,
        headers: req.headers,
        text,
        signed: alertVerifier(SECRET)(req.headers, text).ok,
        verdict,
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

/** Sends the receiver a try again, with its signing headers as given: what the receiver made of it. */
async function resend(headers: IncomingHttpHeaders, text: string): Promise<Received | undefined> {
  const signing = Object.entries(headers).filter(([name]) => name.startsWith('x-cobrowse-edge-'));
  await fetch(receiverUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...Object.fromEntries(signing) },
    body: text,
  });
  return received.at(-1);
}

it('shows the verifier these tests run in docs/operating.md "Alerts", as it is', () => {
  const verifier = readFileSync(new URL('../../examples/verify-alert.mjs', import.meta.url), 'utf8');
  const doc = readFileSync(new URL('../../docs/operating.md', import.meta.url), 'utf8');
  const fence = '```';
  expect(doc).toContain(`\n${fence}js\n${verifier}${fence}\n`);
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
    received.filter(
      (item) => item.verdict?.ok === true && item.body.event === event && item.body.node === node,
    );

  it('posts each transition once, signed, as Slack and generic receivers read it', async () => {
    await act('CB_Server_2', 'drain');
    await expect.poll(() => taken('draining', 'CB_Server_2').length, { timeout: 10_000 }).toBe(1);
    const [drained] = taken('draining', 'CB_Server_2');
    expect(drained?.signed).toBe(true);
    expect(drained?.headers['x-cobrowse-edge-timestamp']).toMatch(/^\d+$/);
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

  it('refuses a replay: the same try again, later, with another timestamp, or with another id', async () => {
    const [original] = taken('draining', 'CB_Server_2');
    if (!original) throw new Error('no draining alert taken');
    const timestamp = Number(original.headers['x-cobrowse-edge-timestamp']);
    // Again as it came: the receiver took that id, so it answers 2xx and does not act on it again.
    expect(await resend(original.headers, original.text)).toMatchObject({
      answered: 200,
      verdict: { ok: false, reason: 'repeat' },
    });
    // Its timestamp moved on, to pass for a fresh try: the signature no longer matches.
    const restamped = { ...original.headers, 'x-cobrowse-edge-timestamp': String(timestamp + 60) };
    expect(await resend(restamped, original.text)).toMatchObject({
      answered: 401,
      verdict: { ok: false, reason: 'signature' },
    });
    // Another id in the body, to pass for a new alert: the signature no longer matches.
    const renamed = original.text.replace(original.id, crypto.randomUUID());
    expect(await resend(original.headers, renamed)).toMatchObject({
      answered: 401,
      verdict: { ok: false, reason: 'signature' },
    });
    // Later than 5 minutes, even by a receiver that remembers no id (restarted): too old.
    const later = alertVerifier(SECRET, () => (timestamp + 5 * 60 + 1) * 1000);
    expect(later(original.headers, original.text)).toEqual({ ok: false, reason: 'timestamp' });
    const justInTime = alertVerifier(SECRET, () => (timestamp + 5 * 60) * 1000);
    expect(justInTime(original.headers, original.text)).toMatchObject({ ok: true });
    // From further ahead than the clocks' skew: refused too.
    const behind = alertVerifier(SECRET, () => (timestamp - 31) * 1000);
    expect(behind(original.headers, original.text)).toEqual({ ok: false, reason: 'timestamp' });
  });
});
