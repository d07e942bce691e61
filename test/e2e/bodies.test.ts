import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { useCluster } from './support/cluster';

const TEN_MB = 10 * 1024 * 1024;
const pinned = { cookie: 'gcbSessionServer=.CB_Server_1' };

const cluster = useCluster(['CB_Server_1']);

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

it('a 10 MB DOM snapshot POST reaches the node intact', async () => {
  const body = new Uint8Array(TEN_MB).map((_, i) => (i * 7) & 0xff);
  const res = await fetch(`${cluster.router.url}/cobrowse/dom`, { method: 'POST', headers: pinned, body });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ node: 'CB_Server_1', bytes: TEN_MB, sha256: sha256(body) });
});

it('a 10 MB request body of unknown length (chunked) reaches the node intact', async () => {
  const chunk = new Uint8Array(256 * 1024).fill(42);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 40) return controller.close();
      sent++;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(`${cluster.router.url}/cobrowse/dom`, {
    method: 'POST',
    headers: pinned,
    body: stream,
    duplex: 'half',
  } as RequestInit);
  const expected = createHash('sha256');
  for (let i = 0; i < 40; i++) expected.update(chunk);
  expect(await res.json()).toMatchObject({ bytes: TEN_MB, sha256: expected.digest('hex') });
});

it('a 10 MB response reaches the client intact, with its length', async () => {
  const res = await fetch(`${cluster.router.url}/cobrowse/blob?bytes=${TEN_MB}`, { headers: pinned });
  const body = new Uint8Array(await res.arrayBuffer());
  expect(res.headers.get('content-length')).toBe(String(TEN_MB));
  expect(body.length).toBe(TEN_MB);
  expect(sha256(body)).toBe(res.headers.get('x-sha256'));
});

it('a streamed response reaches the client chunk by chunk, not at its end', async () => {
  const started = Date.now();
  const res = await fetch(`${cluster.router.url}/cobrowse/stream?chunks=6&interval=250`, {
    headers: { ...pinned, 'accept-encoding': 'gzip' },
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const arrivals: number[] = [];
  let text = '';
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    arrivals.push(Date.now() - started);
    text += new TextDecoder().decode(read.value);
  }
  expect(text.trim().split('\n')).toHaveLength(6);
  // The node spends ~1.5 s on 6 chunks: the first must arrive long before the end, in several reads.
  expect(arrivals.length).toBeGreaterThanOrEqual(4);
  expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(800);
});

it('a long-poll held by the node is answered when the node answers', async () => {
  const started = Date.now();
  const res = await fetch(`${cluster.router.url}/cobrowse/poll?wait=2500`, { headers: pinned });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ node: 'CB_Server_1', events: [{ type: 'tick' }] });
  expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
});
