/**
 * The new-session limit (NEW_SESSION_LIMIT, the platform's Rate Limiting binding as wrangler.toml
 * configures it: 600 a minute per client address), with real requests. Locally a client's own
 * CF-Connecting-IP header stands in for the address Cloudflare's front end would set.
 */
import { expect, it } from 'vitest';
import { useCluster } from './cluster';
import { startInOneRateWindow } from './rate-window';

const LIMIT = 600;
const cluster = useCluster(['CB_Server_1', 'CB_Server_2']);
const TIMEOUT_MS = 90_000;
const from = (address: string) => ({ 'cf-connecting-ip': address });

it(
  'lets 600 new sessions a minute through from one address, then answers 429 before any node',
  async () => {
    await startInOneRateWindow(25_000);
    const statuses: number[] = [];
    for (let batch = 0; batch < (LIMIT + 10) / 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST', headers: from('192.0.2.10') }),
        ),
      );
      for (const res of answers) {
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }
    expect(statuses.filter((status) => status === 201)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
    const limited = await fetch(`${cluster.router.url}/cobrowse/session`, {
      method: 'POST',
      headers: from('192.0.2.10'),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ error: 'too_many_new_sessions' });
    const seen = await Promise.all(
      cluster.nodes.map(async (node) => {
        const res = await fetch(`${node.url}/cobrowse/control`);
        return ((await res.json()) as { seenPaths: string[] }).seenPaths.filter(
          (path) => path === '/cobrowse/session',
        );
      }),
    );
    expect(seen.flat()).toHaveLength(LIMIT);

    // The session it has goes on (pinned requests are not new sessions), and other addresses are not limited.
    const pinned = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      method: 'POST',
      headers: { ...from('192.0.2.10'), cookie: 'gcbSessionServer=.CB_Server_1' },
      body: '{}',
    });
    expect(pinned.status).toBe(200);
    const other = await fetch(`${cluster.router.url}/cobrowse/session`, {
      method: 'POST',
      headers: from('192.0.2.11'),
    });
    expect(other.status).toBe(201);
  },
  TIMEOUT_MS,
);
