/**
 * The soak: Co-browse-like load through the router while nodes fail, and an account of every message.
 *
 * Four demo nodes, the built router in raw Miniflare (the Worker as deployed, one workerd), and for as
 * long as asked:
 * - `sockets` WebSocket sessions spread over the nodes, each sending one numbered message a second and
 *   expecting its echo from its own node;
 * - `polls` HTTP long-poll sessions, each polling its own node in a loop.
 * Faults on a timeline: CB_Server_1 is killed at 25 % of the run and restarted at 80 %, CB_Server_2 is
 * frozen (SIGSTOP) at 45 %, CB_Server_3's health check answers 503 from 65 % while it keeps serving.
 * CB_Server_4 is left alone.
 *
 * A session whose node failed must end with the termination answer from another node (a `not-owner`
 * message or 410), and nothing else; every other session must see every echo and poll answered by its
 * own node: nothing lost, nothing misrouted, no error.
 */
import WebSocket from 'ws';
import { deployment, routerWorker, startMiniflare } from '../bench/targets.mjs';
import { buildWorker } from '../build-worker.mjs';
import { startDemoCluster, startDemoNode } from '../demo-cluster.mjs';

const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3', 'CB_Server_4'];
// CONNECT_TIMEOUT_MS stays at its 45 s default: failover must come from health, not from that timer.
// `fast` health settings detect within 1.3 s (the tests' pace); `defaults` are the router's own.
const FAST_HEALTH = {
  HEALTH_INTERVAL_MS: 500,
  HEALTH_TIMEOUT_MS: 300,
  HEALTH_FALL: 2,
  HEALTH_RISE: 2,
};
/** A poll not answered within this long counts as an error (it waits 1 s at its node). */
const POLL_DEADLINE_MS = 10_000;
/** An echo later than this counts as lost (the node is gone or frozen): the client reconnects. */
const ECHO_DEADLINE_MS = 3000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function newTally() {
  return {
    sockets: 0,
    pollers: 0,
    sent: 0,
    echoed: 0,
    misrouted: 0,
    lost: 0,
    polls: 0,
    errors: [],
    ended: 0,
  };
}

/**
 * Session `index` on `node`, from a visitor address of its own (as Cloudflare's front end would name
 * it): one address holds at most WEBSOCKETS_PER_CLIENT sockets, and the soak has visitors, not one.
 */
async function startSession(routerUrl, node, index) {
  const address = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
  const res = await fetch(`${routerUrl}/cobrowse/session`, {
    method: 'POST',
    headers: { cookie: `gcbSessionServer=.${node}`, 'cf-connecting-ip': address },
  });
  const body = await res.json();
  if (body.node !== node) throw new Error(`session for ${node} started on ${body.node}`);
  return { node, address, session: body.session, cookie: `gcbSessionServer=.${node}`, ended: false };
}

/**
 * One WebSocket session: a numbered message a second once its node greeted it (as a CometD client
 * sends only after its handshake); reconnects when its socket fails, until told it ended.
 */
async function socketClient(routerUrl, session, tally, running) {
  const url = `${routerUrl.replace('http', 'ws')}/cobrowse/ws?session=${session.session}`;
  let seq = 0;
  while (running() && !session.ended) {
    const socket = new WebSocket(url, {
      headers: { cookie: session.cookie, 'cf-connecting-ip': session.address },
    });
    const pending = new Map();
    const closed = new Promise((resolve) => socket.on('close', resolve));
    let greet = () => {};
    const greeted = new Promise((resolve) => (greet = resolve));
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.reason === 'not-owner') {
        if (message.node === session.node) tally.misrouted++;
        session.ended = true;
        tally.ended++;
        greet();
        return;
      }
      if (message.state === 'connected') return greet();
      const sent = pending.get(message.echo);
      if (sent === undefined) return;
      pending.delete(message.echo);
      if (message.node === session.node) tally.echoed++;
      else tally.misrouted++;
    });
    const opened = await Promise.race([greeted.then(() => true), closed.then(() => false)]);
    while (opened && running() && !session.ended && socket.readyState === WebSocket.OPEN) {
      const text = `m${seq++}`;
      pending.set(text, Date.now());
      tally.sent++;
      socket.send(text);
      await sleep(1000);
      const overdue = [...pending.values()].some((at) => Date.now() - at > ECHO_DEADLINE_MS);
      if (overdue) break;
    }
    tally.lost += pending.size;
    socket.terminate();
    await closed;
    if (running() && !session.ended) await sleep(200);
  }
}

/** One long-poll session: polls its node in a loop until told it ended. */
async function pollClient(routerUrl, session, tally, running) {
  while (running() && !session.ended) {
    try {
      const res = await fetch(`${routerUrl}/cobrowse/poll?session=${session.session}&wait=1000`, {
        headers: { cookie: session.cookie },
        signal: AbortSignal.timeout(POLL_DEADLINE_MS),
      });
      const body = await res.json();
      tally.polls++;
      if (res.status === 410 && body.reason === 'not-owner' && body.node !== session.node) {
        session.ended = true;
        tally.ended++;
      } else if (res.status !== 200 || body.node !== session.node) {
        tally.errors.push(
          `poll ${res.status} from ${body.node ?? 'router'}: ${body.error ?? body.reason ?? ''}`,
        );
        await sleep(200);
      }
    } catch (error) {
      tally.errors.push(`poll failed: ${error.message}`);
      await sleep(200);
    }
  }
}

/**
 * Runs the soak and returns the account per node, plus the router's health transitions.
 * @param {{ seconds: number, sockets: number, polls: number, health?: 'fast' | 'defaults', build?: boolean, log?: (line: string) => void }} options
 *   `health`: the tests' fast checks (default) or the router's documented defaults; `build: false` uses
 *   dist/index.js as it is (a test setup built it)
 */
export async function runSoak({ seconds, sockets, polls, health = 'fast', build = true, log = () => {} }) {
  if (build) buildWorker();
  const nodes = await startDemoCluster(IDS.map((id) => ({ id })));
  const transitions = [];
  const router = await startMiniflare(deployment(routerWorker(nodes, health === 'fast' ? FAST_HEALTH : {})), {
    handleStructuredLogs: ({ message }) => {
      if (message.includes('"msg":"health"')) transitions.push(JSON.parse(message));
    },
  });
  const tallies = Object.fromEntries(IDS.map((id) => [id, newTally()]));
  let stop = false;
  const running = () => !stop;
  const clients = [];
  try {
    const sessions = await Promise.all([
      ...Array.from({ length: sockets }, (_, i) =>
        startSession(router.url, IDS[i % IDS.length], i).then((s) => ({ ...s, kind: 'socket' })),
      ),
      ...Array.from({ length: polls }, (_, i) =>
        startSession(router.url, IDS[i % IDS.length], sockets + i).then((s) => ({ ...s, kind: 'poll' })),
      ),
    ]);
    for (const session of sessions) {
      const tally = tallies[session.node];
      if (session.kind === 'socket') tally.sockets++;
      else tally.pollers++;
      const run = session.kind === 'socket' ? socketClient : pollClient;
      clients.push(run(router.url, session, tallies[session.node], running));
    }
    log(`${sockets} WebSocket and ${polls} long-poll sessions over ${IDS.length} nodes, for ${seconds} s`);
    const at = (fraction) => sleep(fraction * seconds * 1000);
    const node = (id) => nodes.find((candidate) => candidate.id === id);
    const timeline = [
      [0.25, 'kill CB_Server_1', () => node('CB_Server_1').process.kill('SIGKILL')],
      [0.45, 'freeze CB_Server_2', () => node('CB_Server_2').process.kill('SIGSTOP')],
      [
        0.65,
        'CB_Server_3 health answers 503',
        () => fetch(`${node('CB_Server_3').url}/cobrowse/control?status=503`, { method: 'POST' }),
      ],
      [
        0.8,
        'restart CB_Server_1',
        async () => {
          const restarted = await startDemoNode({ id: 'CB_Server_1', port: node('CB_Server_1').port });
          nodes[0] = restarted;
        },
      ],
      [1, 'end', () => {}],
    ];
    let elapsed = 0;
    for (const [fraction, label, act] of timeline) {
      await at(fraction - elapsed);
      elapsed = fraction;
      log(`t=${Math.round(fraction * seconds)} s: ${label}`);
      await act();
    }
  } finally {
    stop = true;
    await Promise.all(clients);
    nodes[1]?.process.kill('SIGCONT');
    await router.stop();
    await Promise.all(nodes.map((each) => each.stop()));
  }
  return { tallies, transitions };
}

/**
 * What must hold after a soak, as a list of broken promises (empty when all held):
 * - no echo or poll answer ever came from a node that does not own the session;
 * - no poll got an error: a failed node's polls went to another node and were told the session ended;
 * - the untouched node lost nothing and ended nothing;
 * - every session of the killed, the frozen and the unhealthy node ended with the termination answer
 *   (the unhealthy node's too: ON_MARKED_DOWN=shutdown-sessions, the default, closes its sockets).
 */
export function brokenPromises({ tallies }) {
  const broken = [];
  for (const [id, tally] of Object.entries(tallies)) {
    if (tally.misrouted > 0)
      broken.push(`${id}: ${tally.misrouted} answers from another node before the session ended`);
    if (tally.errors.length > 0)
      broken.push(`${id}: ${tally.errors.length} poll errors, first: ${tally.errors[0]}`);
  }
  const calm = tallies.CB_Server_4;
  if (calm.lost > 0 || calm.ended > 0 || calm.echoed !== calm.sent) {
    broken.push(
      `CB_Server_4 (untouched): sent ${calm.sent}, echoed ${calm.echoed}, lost ${calm.lost}, ended ${calm.ended}`,
    );
  }
  for (const id of ['CB_Server_1', 'CB_Server_2', 'CB_Server_3']) {
    const tally = tallies[id];
    if (tally.ended !== tally.sockets + tally.pollers) {
      broken.push(
        `${id} (failed): ${tally.ended} of ${tally.sockets + tally.pollers} sessions ended with the termination answer`,
      );
    }
  }
  return broken;
}

/** The account as a Markdown table. */
export function formatReport({ tallies, transitions }) {
  const lines = [
    '| node | fault | WS sessions | messages sent | echoed by own node | lost in flight | misrouted | long-poll sessions | polls answered | poll errors | sessions ended (termination answer) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const faults = {
    CB_Server_1: 'killed, restarted',
    CB_Server_2: 'frozen',
    CB_Server_3: 'health 503',
    CB_Server_4: 'none',
  };
  for (const [id, t] of Object.entries(tallies)) {
    lines.push(
      `| ${id} | ${faults[id]} | ${t.sockets} | ${t.sent} | ${t.echoed} | ${t.lost} | ${t.misrouted} | ${t.pollers} | ${t.polls} | ${t.errors.length} | ${t.ended} |`,
    );
  }
  lines.push('');
  for (const transition of transitions) {
    lines.push(
      `- ${new Date(transition.at).toISOString().slice(11, 23)} ${transition.node} ${transition.to}: ${transition.cause}`,
    );
  }
  return lines.join('\n');
}
