/**
 * A socket gate: the Durable Object that opens WebSockets to the nodes for the Worker, so that they
 * are piped natively and can still be cut when their node goes. It runs in a script of its own
 * (`cobrowse-edge-gates`, gate/index.ts), whose tail consumer (tail/index.ts) tells it when a socket
 * ended.
 *
 * Why an object: workerd pipes a socket natively (no JavaScript per message, backpressure end to end)
 * only when the node's socket is handed straight through in a Response, and the one way to end such a
 * socket later is to abort the signal of the fetch that opened it, from the request that made that
 * fetch while it is alive, or, in a Durable Object, from any later request while the object is in
 * memory (TOOLCHAIN.md "WebSockets in workerd"; measured again for this gate: a stalled node's
 * client stalls after ~11 MiB with the process flat, and an abort 30 s later ends both legs in 8 ms).
 * So the gate opens the node's leg with a signal of its own and returns the socket; the Worker
 * returns it to the client; the runtime pipes client, Worker, gate and node together.
 *
 * What keeps that power, and the count honest:
 * - The board tells the gates at once when a node stops serving ({@link SocketGate.news}: the set of
 *   down or disabled nodes); the gate cuts their sockets, and refuses handshakes to them.
 * - Open piped sockets do not keep an object in memory, and an evicted object cannot cut what it
 *   opened: while it holds anything, the gate's alarm runs every TICK_MS (an object with an alarm due
 *   stays resident), and each tick checks in with the board (its counts and held sockets; the board
 *   answers with the unavailable nodes, the roster and the settings, so a missed push costs a tick).
 * - The gate cannot see a piped socket end; the runtime completes the trace of the invocation that
 *   returned the socket only when it ends (TOOLCHAIN.md, measured: 5-20 ms after the end), and this
 *   script's tail consumer sends the ids it read there to {@link SocketGate.ended}. So the gate holds
 *   what is open. A socket whose end was never reported is cut at the backstop (SOCKET_MAX_AGE_S);
 *   until this gate or the board has seen any end reported (the platform may not deliver them), at
 *   UNREPORTED_MAX_AGE_MS, the bound the gates kept before ends were reported.
 * - Sockets are sharded by client key (gate-choice.ts), so one gate sees all of a client's sockets
 *   and caps them (WEBSOCKETS_PER_CLIENT).
 * - A deploy resets a running object within the code-update delay (5 min by default), leaving what
 *   it opened uncuttable: an outdated gate cuts its sockets well before that (retirement.ts). A gate
 *   found reset while it held sockets says so.
 */
import { DurableObject } from 'cloudflare:workers';
import type { NodeConfig } from '../config/roster';
import { logEvent } from '../lib/log';
import { boardOf } from '../wire/board-stub';
import { AT, COUNTERS, GAUGES, HELD_WEBSOCKETS, type NodeCounts, rowOf } from '../wire/counts';
import {
  CLIENT_FULL,
  GATE_CLIENT_HEADER,
  GATE_FAILURE_HEADER,
  GATE_NODE_HEADER,
  GATE_REQUEST_HEADERS,
  GATE_SOCKET_HEADER,
  type GateNews,
  gateFailure,
  versionOf,
} from '../wire/gate-protocol';
import { type GateEnv, GateRoster } from './gate-roster';
import { Retirement } from './retirement';
import { type CutReason, type PerNode, SocketLedger, totalOf } from './socket-ledger';

/** How often a gate that holds sockets wakes: to stay in memory, age them and check in. */
export const TICK_MS = 5000;
/** The longest a socket is held while no end report has been seen yet (the bound before reports). */
export const UNREPORTED_MAX_AGE_MS = 3_600_000;
/**
 * A gate that had ends reported checks in this soon (not at its next tick): the board, and so balancing,
 * capacity and the status page, see the count drop within about a second. One check-in per burst.
 */
const ENDS_REPORT_MS = 250;
/** Storage key: sockets held per node at the last tick, so a reset gate can say what it lost. */
const HELD_KEY = 'held';

export class SocketGate extends DurableObject<GateEnv> {
  private readonly ledger = new SocketLedger();
  /** The board's last news (roster, unavailable nodes, settings), as this gate reaches the nodes. */
  private readonly roster = new GateRoster(this.env);
  /** Counts since the last check-in. */
  private counts: NodeCounts = {};
  /** Whether, and how fast, this gate lets go of its sockets after a newer version (retirement.ts). */
  private readonly retirement = new Retirement();
  private ticking = false;
  /** Set while a check-in for reported ends is due. */
  private reportDue = false;
  /** What HELD_KEY holds, as JSON. */
  private heldWritten: string | undefined;

  constructor(ctx: DurableObjectState, env: GateEnv) {
    super(ctx, env);
    const lost = ctx.storage.kv.get<PerNode>(HELD_KEY);
    if (lost && Object.keys(lost).length > 0) {
      // Started again while its last tick said it held sockets: it was reset (a crash, or a reset it
      // did not see coming). They flow on and nobody can cut them; they end when their clients or
      // nodes end them. Counted and logged, so the operator knows.
      logEvent('socket gate reset while holding sockets', { gate: this.name(), uncuttable: lost }, 'error');
      this.count(lost, AT.webSocketsUncuttable);
      ctx.storage.kv.delete(HELD_KEY);
      this.tickSoon();
    }
  }

  /** A client's handshake, sent on by the Worker (wire/gate-protocol.ts): the node's answer, or why none. */
  override async fetch(request: Request): Promise<Response> {
    const nodeId = request.headers.get(GATE_NODE_HEADER) ?? '';
    // Never told, or a node added at runtime since this gate last heard from the board: ask once.
    if (!this.roster.knows(nodeId)) await this.checkIn();
    const node = this.roster.node(nodeId);
    if (!node) return gateFailure('unreachable', 'the gate was asked for a node that is not in its roster');
    if (this.roster.isUnavailable(node.id)) {
      return gateFailure('node-down', `node ${node.id} is down or disabled`);
    }
    const { settings } = this.roster;
    const client = request.headers.get(GATE_CLIENT_HEADER) ?? 'unknown';
    if (settings.perClient !== null && this.ledger.heldBy(client) >= settings.perClient) {
      return gateFailure(CLIENT_FULL, `this address holds ${settings.perClient} open WebSockets already`);
    }
    const now = Date.now();
    this.retirement.handshake(now);
    this.tickSoon();
    // Held from now: a node that goes while the handshake waits is cut like an open socket.
    const held = this.ledger.hold(
      request.headers.get(GATE_SOCKET_HEADER) ?? crypto.randomUUID(),
      node.id,
      client,
      now,
    );
    return this.open(request, node, held.controller, () => this.ledger.release(held));
  }

  /** Opens the node's leg of a held socket; `release` lets go of it when no socket came of it. */
  private async open(
    request: Request,
    node: NodeConfig,
    controller: AbortController,
    release: () => void,
  ): Promise<Response> {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    for (const name of GATE_REQUEST_HEADERS) headers.delete(name);
    const { connectTimeoutMs } = this.roster.settings;
    const { signal } = controller;
    const timer = setTimeout(() => controller.abort('timeout' satisfies CutReason), connectTimeoutMs);
    let upstream: Response;
    try {
      upstream = await node.fetcher.fetch(node.origin + url.pathname + url.search, {
        headers,
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      release();
      const why: CutReason | undefined = signal.aborted ? signal.reason : undefined;
      if (why === 'timeout')
        return gateFailure('timeout', `no response headers within ${connectTimeoutMs} ms`);
      if (why !== undefined)
        return gateFailure('node-down', `the handshake was cut while it waited (${why})`);
      return gateFailure('unreachable', (error as Error).message);
    } finally {
      clearTimeout(timer);
    }
    if (!upstream.webSocket) {
      // The node answered without a socket (not its session, an error): its answer, as it gave it.
      release();
      const answer = new Response(upstream.body, upstream);
      answer.headers.delete(GATE_FAILURE_HEADER);
      return answer;
    }
    // Handed through: from here the runtime pipes it, only `controller` can end it, and this
    // invocation's trace completes when it ends (the tail consumer then calls `ended`).
    const headers101 = new Headers(upstream.headers);
    headers101.delete(GATE_FAILURE_HEADER);
    return new Response(null, { status: 101, headers: headers101, webSocket: upstream.webSocket });
  }

  /**
   * The tail consumer's report: these sockets ended (client or node closed, a connection dropped, or
   * this gate cut them). Ids it does not hold (a failed handshake, a socket it cut) are ignored.
   * Returns how many it held.
   */
  async ended(ids: readonly string[]): Promise<number> {
    const ended = this.ledger.ended(ids);
    this.count(ended, AT.webSocketsEnded);
    const total = totalOf(ended);
    if (total > 0) {
      this.tickSoon();
      this.reportSoon();
    }
    return total;
  }

  /** Checks in ENDS_REPORT_MS from now, unless a check-in is already due then. */
  private reportSoon(): void {
    if (this.reportDue) return;
    this.reportDue = true;
    setTimeout(() => {
      this.reportDue = false;
      this.checkIn().catch((error) =>
        logEvent('health board unreachable', { action: 'gateCheckIn', error: String(error) }, 'error'),
      );
    }, ENDS_REPORT_MS);
  }

  /**
   * The board's news: these nodes are down or disabled now, every other node serves. Their sockets are
   * cut at once (the clients see the connection drop, 1006, reconnect and are told on a serving node
   * that their session ended). Returns how many were cut.
   */
  async news(news: GateNews): Promise<number> {
    return this.heard(news);
  }

  override async alarm(): Promise<void> {
    this.ticking = false;
    try {
      await this.tick(Date.now());
    } finally {
      if (this.ledger.size > 0 || Object.keys(this.counts).length > 0) this.tickSoon();
    }
  }

  /** One tick: age, retire, check in. */
  private async tick(now: number): Promise<void> {
    this.count(this.ledger.cutOpenedBefore(now - this.maxAgeMs()), AT.webSocketsRecycled);
    this.count(this.ledger.cutOldest(this.retirement.dueToCut(this.ledger.size, now)), AT.webSocketsRecycled);
    const news = await this.checkIn();
    if (this.retirement.consider(news.newestVersionAt, this.versionAt(), this.ledger.size, now)) {
      logEvent('socket gate retiring', { gate: this.name(), held: this.ledger.size });
    }
  }

  /**
   * How long a socket is held: the backstop once ends are known to be reported (by any gate, this one
   * included: its ends reach the board at its next check-in and come back with the news), else the
   * bound that held before they were.
   */
  private maxAgeMs(): number {
    const { backstopMs } = this.roster.settings;
    return this.roster.endsSeenAt > 0 ? backstopMs : Math.min(backstopMs, UNREPORTED_MAX_AGE_MS);
  }

  /**
   * Tells the board what this gate holds and counted (so it knows whom to tell when a node goes), and
   * takes its answer.
   */
  private async checkIn(): Promise<GateNews> {
    const held = this.ledger.perNode();
    const gauges: NodeCounts = {};
    for (const [node, count] of Object.entries(held)) rowOf(gauges, node, GAUGES)[HELD_WEBSOCKETS] = count;
    const report = { isolate: this.name(), counts: this.counts, gauges };
    this.counts = {};
    // Written when it changed, not every tick (a row write costs).
    const written = JSON.stringify(held);
    if (written !== this.heldWritten) this.ctx.storage.kv.put(HELD_KEY, held);
    this.heldWritten = written;
    const news = await boardOf(this.env).gateCheckIn({
      gate: this.name(),
      versionAt: this.versionAt(),
      report,
    });
    this.heard(news);
    return news;
  }

  /** Takes the board's news: cuts the sockets of nodes that stopped serving. */
  private heard(news: GateNews): number {
    const unavailable = this.roster.heard(news);
    const cut = this.ledger.cutNodes(unavailable);
    this.count(cut, AT.webSocketsEndedByNode);
    const total = totalOf(cut);
    if (total > 0) this.tickSoon();
    return total;
  }

  private count(perNode: PerNode, at: number): void {
    for (const [node, count] of Object.entries(perNode)) {
      (rowOf(this.counts, node, COUNTERS)[at] as number) += count;
    }
  }

  /** Arms the next tick unless one is armed. */
  private tickSoon(): void {
    if (this.ticking) return;
    this.ticking = true;
    this.ctx.storage.setAlarm(Date.now() + TICK_MS);
  }

  private name(): string {
    return this.ctx.id.name ?? this.ctx.id.toString();
  }

  private versionAt(): number {
    return versionOf(this.env).at;
  }
}
