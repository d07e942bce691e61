/**
 * A socket gate: the Durable Object that opens WebSockets to the nodes for the Worker, so that they
 * are piped natively and can still be cut when their node goes.
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
 * What keeps that power:
 * - The board tells the gates at once when a node stops serving ({@link SocketGate.news}: the set of
 *   down or disabled nodes); the gate cuts their sockets, and refuses handshakes to them.
 * - Open piped sockets do not keep an object in memory, and an evicted object cannot cut what it
 *   opened: while it holds anything, the gate's alarm runs every TICK_MS (an object with an alarm due
 *   stays resident), and each tick checks in with the board (its counts and held sockets; the board
 *   answers with the unavailable nodes, so a missed push costs at most a tick).
 * - The gate cannot see a piped socket end. It holds each one SOCKET_MAX_AGE_S, then cuts it (the
 *   client reconnects to the same node): that, and the rate of handshakes, bounds its memory.
 * - A deploy resets a running object within the code-update delay (5 min by default), leaving what
 *   it opened uncuttable. New Workers name new gates (the version is in the name); an old gate that
 *   hears of a newer version and has had no handshake for RETIRE_IDLE_MS cuts its sockets, spread over
 *   RETIRE_SPREAD_MS, well before that. A gate found reset while it held sockets says so.
 */
import { DurableObject } from 'cloudflare:workers';
import type { AppEnv } from '../app-env';
import type { Config } from '../config/config';
import { LiveConfig, type RosterView } from '../config/live-config';
import { configFor } from '../config/load';
import { boardOf } from '../health/board-stub';
import { logEvent } from '../log';
import { AT, COUNTERS, GAUGES, HELD_WEBSOCKETS, type NodeCounts, rowOf } from '../telemetry/counts';
import {
  GATE_FAILURE_HEADER,
  GATE_NODE_HEADER,
  type GateNews,
  gateFailure,
  versionOf,
} from './gate-protocol';
import { type CutReason, type PerNode, SocketLedger } from './socket-ledger';

/** How often a gate that holds sockets wakes: to stay in memory, age them and check in. */
export const TICK_MS = 5000;
/** An outdated gate retires once it has had no handshake this long (its version is still in use). */
const RETIRE_IDLE_MS = 30_000;
/** A retiring gate cuts its sockets over this long, so their clients do not all reconnect at once. */
const RETIRE_SPREAD_MS = 30_000;
/** Storage key: sockets held per node at the last tick, so a reset gate can say what it lost. */
const HELD_KEY = 'held';

export class SocketGate extends DurableObject<AppEnv['Bindings']> {
  private readonly ledger = new SocketLedger();
  /** Nodes the board last said are down or disabled. */
  private unavailable = new Set<string>();
  /** Counts since the last check-in. */
  private counts: NodeCounts = {};
  private lastHandshakeAt = 0;
  /** Set once an outdated gate starts cutting: when, and how many it held then. */
  private retiring: { readonly since: number; readonly held: number } | undefined;
  private ticking = false;
  /** What HELD_KEY holds, as JSON. */
  private heldWritten: string | undefined;
  /** Has this instance told the board of itself? Until then the board would not tell it of a node going. */
  private checkedIn = false;
  /** The roster in the board's last news (runtime changes included); undefined before any. */
  private roster: readonly RosterView[] | undefined;
  private readonly live = new LiveConfig();

  constructor(ctx: DurableObjectState, env: AppEnv['Bindings']) {
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

  /** A client's handshake, sent on by the Worker (gate-protocol.ts): the node's answer, or why none. */
  override async fetch(request: Request): Promise<Response> {
    const nodeId = request.headers.get(GATE_NODE_HEADER) ?? '';
    let config = this.config();
    // A node added at runtime since this gate last heard from the board: ask the board once.
    if (!config.nodesById.has(nodeId)) {
      await this.checkIn();
      config = this.config();
    }
    const node = config.nodesById.get(nodeId);
    if (!node) return gateFailure('unreachable', 'the gate was asked for a node that is not in its roster');
    if (this.unavailable.has(node.id)) return gateFailure('node-down', `node ${node.id} is down or disabled`);
    const now = Date.now();
    this.lastHandshakeAt = now;
    this.retiring = undefined;
    this.tickSoon();
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete(GATE_NODE_HEADER);
    // Held from now: a node that goes while the handshake waits is cut like an open socket.
    const held = this.ledger.hold(node.id, now);
    if (!this.checkedIn) {
      this.checkIn().catch((error) =>
        logEvent('health board unreachable', { action: 'gateCheckIn', error: String(error) }, 'error'),
      );
    }
    const { signal } = held.controller;
    const timer = setTimeout(
      () => held.controller.abort('timeout' satisfies CutReason),
      config.connectTimeoutMs,
    );
    let upstream: Response;
    try {
      upstream = await node.fetcher.fetch(node.origin + url.pathname + url.search, {
        headers,
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      this.ledger.release(held);
      const why: CutReason | undefined = signal.aborted ? signal.reason : undefined;
      if (why === 'timeout') {
        return gateFailure('timeout', `no response headers within ${config.connectTimeoutMs} ms`);
      }
      if (why !== undefined)
        return gateFailure('node-down', `the handshake was cut while it waited (${why})`);
      return gateFailure('unreachable', (error as Error).message);
    } finally {
      clearTimeout(timer);
    }
    if (!upstream.webSocket) {
      // The node answered without a socket (not its session, an error): its answer, as it gave it.
      this.ledger.release(held);
      const answer = new Response(upstream.body, upstream);
      answer.headers.delete(GATE_FAILURE_HEADER);
      return answer;
    }
    // Handed through: from here the runtime pipes it, and only `held.controller` can end it.
    return new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket });
  }

  /**
   * The board's news: these nodes are down or disabled now, every other node serves. Their sockets are
   * cut at once (the clients see the connection drop, 1006, reconnect and are told on a serving node
   * that their session ended). Returns how many were cut.
   */
  async news(unavailable: readonly string[], roster: readonly RosterView[]): Promise<number> {
    return this.heard({ unavailable, roster, newestVersionAt: 0 });
  }

  /**
   * The Worker's config with the roster the board last told this gate (none yet: the Worker's own):
   * a gate reaches only nodes of the board's roster, looked up by id, never a URL from the request.
   */
  private config(): Config {
    return this.live.of(configFor(this.env), this.roster, this.env);
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
    this.count(
      this.ledger.cutOpenedBefore(now - configFor(this.env).sockets.maxAgeMs),
      AT.webSocketsRecycled,
    );
    if (this.retiring) this.retire(now);
    const news = await this.checkIn();
    if (
      !this.retiring &&
      news.newestVersionAt > this.versionAt() &&
      now - this.lastHandshakeAt > RETIRE_IDLE_MS
    ) {
      logEvent('socket gate retiring', { gate: this.name(), held: this.ledger.size });
      this.retiring = { since: now, held: this.ledger.size };
    }
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
    this.checkedIn = true;
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
    this.unavailable = new Set(news.unavailable);
    this.roster = news.roster;
    const cut = this.ledger.cutNodes(this.unavailable);
    this.count(cut, AT.webSocketsEndedByNode);
    if (Object.keys(cut).length > 0) this.tickSoon();
    return Object.values(cut).reduce((total, count) => total + count, 0);
  }

  /** Cuts the share of a retiring gate's sockets that is due by now. */
  private retire(now: number): void {
    const { since, held } = this.retiring as NonNullable<typeof this.retiring>;
    const keep = Math.floor(held * Math.max(0, 1 - (now - since) / RETIRE_SPREAD_MS));
    this.count(this.ledger.cutOldest(this.ledger.size - keep), AT.webSocketsRecycled);
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
