/**
 * The health board: one Durable Object (SQLite-backed) that holds every node's health and mode.
 *
 * A thin shell: RPC methods for the Worker and the operators, and an alarm that checks every node
 * (check-schedule.ts says when). The rules live in state.ts. Each part owns its own state: the
 * roster (board-roster.ts), the nodes' stored health (node-health-store.ts), the traffic
 * (board/board-traffic.ts), the alerts (cluster-alerts.ts), what the socket gates are told
 * (gate-broadcast.ts) and the admin login lockout (board/login-lockout.ts); the board joins them.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../config/bindings';
import type { Config } from '../config/config';
import type { NodeConfig } from '../config/roster';
import type { RosterEntry } from '../config/roster-changes';
import { logEvent } from '../lib/log';
import { availabilityOf } from '../wire/availability';
import type { TrafficReport } from '../wire/counts';
import type { GateCheckIn, GateNews } from '../wire/gate-protocol';
import type { HealthSnapshot } from '../wire/health-snapshot';
import type { NodeHealth, NodeMode } from '../wire/node-health';
import { probe } from '../wire/node-probe';
import type { AlertState } from './alerts';
import { BoardRoster, type RemovalCause, type RosterState } from './board-roster';
import { BoardTraffic } from './board-traffic';
import { CheckSchedule } from './check-schedule';
import { ClusterAlerts } from './cluster-alerts';
import { GateBroadcast } from './gate-broadcast';
import {
  ADDED,
  expireDrain,
  needsConfirmation,
  recordCheck,
  recordPassiveFailure,
  setMode,
} from './health-machine';
import { LoginLockout } from './login-lockout';
import { NodeHealthStore } from './node-health-store';
import { openSessionsOf, type TrafficView } from './traffic';

export class HealthBoard extends DurableObject<Bindings> {
  private calls = 0;
  /** The isolates' and gates' counts and gauges of open work (board/board-traffic.ts). */
  private readonly counted = new BoardTraffic(this.ctx.storage.kv);
  /** Every node's health as stored (node-health-store.ts). */
  private readonly health = new NodeHealthStore(this.ctx.storage.kv);
  /** Failed admin logins, for every isolate at once (in memory: a reset forgets them, as a minute does). */
  private readonly logins = new LoginLockout();
  /** When rounds of checks run (check-schedule.ts). */
  private readonly schedule = new CheckSchedule(this.ctx.storage, () => this.config().health.intervalMs);
  /** The roster: NODES with the runtime changes (board-roster.ts). */
  private readonly roster = new BoardRoster(this.ctx.storage.kv, this.env);
  /** What the alert webhook is told (cluster-alerts.ts). */
  private readonly alerts = new ClusterAlerts(
    this.ctx.storage.kv,
    () => this.config().alerts,
    (work) => this.ctx.waitUntil(work),
  );
  /** What the socket gates are told, and when (gate-broadcast.ts). */
  private readonly gates = new GateBroadcast(
    this.env,
    () => this.config(),
    (config) => this.unavailableIn(config),
    (work) => this.ctx.waitUntil(work),
  );

  /**
   * The current health of every configured node. A router isolate hands over its traffic counts in
   * the same call (worker/tally.ts), so counting costs no call of its own.
   */
  async snapshot(report?: TrafficReport): Promise<HealthSnapshot> {
    this.calls++;
    if (report) this.counted.record(report, 'isolate', Date.now());
    await this.schedule.arm();
    return this.read();
  }

  /**
   * Every node's traffic: totals, gauges, the last minute and the last 15 minutes. An operator's read,
   * not counted in `calls` (which measure what routing costs the board).
   */
  async traffic(): Promise<TrafficView> {
    return this.counted.view(
      this.config().nodes.map((node) => node.id),
      Date.now(),
    );
  }

  /**
   * Records `count` proxied requests that failed at `nodeId` (an isolate batches them:
   * worker/failure-reports.ts); returns the health after them. When failures reach HEALTH_FALL, the
   * next round of checks runs now: it, not the requests, takes the node down.
   */
  async reportFailure(nodeId: string, error: string, count = 1): Promise<HealthSnapshot> {
    this.calls++;
    const times = Math.max(1, Math.min(Math.floor(count) || 1, 1_000_000));
    const after = this.update(nodeId, (health, _limits, now) =>
      recordPassiveFailure(health, error, now, times),
    );
    if (after && needsConfirmation(after, this.config().health)) await this.schedule.soon();
    else await this.schedule.arm();
    return this.read();
  }

  /**
   * Drains, disables or enables a node; undefined when no node has that id. A drain may carry a
   * deadline (epoch ms): the round of checks after it disables the node.
   */
  async setMode(nodeId: string, mode: NodeMode, drainDeadline?: number): Promise<HealthSnapshot | undefined> {
    this.calls++;
    if (!this.config().nodesById.has(nodeId)) return undefined;
    this.update(nodeId, (health, _limits, now) => setMode(health, mode, now, drainDeadline ?? null));
    await this.schedule.arm();
    return this.read();
  }

  /**
   * Adds or changes node `id` (`entry`: the fields of a NODES entry less the id), or removes it (null):
   * once quiet (drained meanwhile) or at `deadline` (epoch ms; board-roster.ts REMOVAL_DEADLINE_S from
   * now when undefined), whichever comes first; or at once with `force`, which ends its sessions as a
   * down node's. `by` says who, for the audit. A change that would break the roster or reach a host
   * NODE_HOSTS does not allow changes nothing: its problems come back, as the config check names
   * them; `unknown` when a node to remove is not in the roster.
   */
  async changeRoster(
    id: string,
    entry: RosterEntry | null,
    force: boolean,
    by: string,
    deadline?: number,
  ): Promise<{ problems: readonly string[] } | { unknown: true } | { snapshot: HealthSnapshot }> {
    this.calls++;
    if (entry === null && !this.config().nodesById.has(id)) return { unknown: true };
    const problems = this.roster.problemsOf(id, entry);
    if (problems.length > 0) return { problems };
    if (entry !== null) {
      this.roster.set(id, entry, by);
    } else if (force) {
      this.removeNow(id, by);
    } else {
      this.roster.removeWhenQuiet(id, by, deadline);
      this.update(id, (health, _limits, now) => setMode(health, 'draining', now, null));
    }
    // A node added, moved or gone changes what the gates may reach.
    this.gates.tellSoon();
    await this.schedule.arm();
    return { snapshot: this.read() };
  }

  /** Drops every runtime change of the roster: NODES from wrangler.toml is the roster again. */
  async resetRoster(by: string): Promise<HealthSnapshot> {
    this.calls++;
    const before = this.config().nodes.map((node) => node.id);
    this.roster.reset(by);
    const after = this.config().nodesById;
    for (const id of before) if (!after.has(id)) this.forget(id);
    this.gates.tellSoon();
    await this.schedule.arm();
    return this.read();
  }

  /** The roster's runtime changes: what is changed, what waits to be removed, the last changes. */
  async rosterState(): Promise<RosterState> {
    return { pendingRemovals: this.roster.pending(), recentChanges: this.roster.audit() };
  }

  /** Alerts: whether a webhook is set, how many wait, and the last deliveries and failures. */
  async alertState(): Promise<AlertState> {
    return this.alerts.state();
  }

  /**
   * A socket gate's tick (gate/socket-gate.ts): its counts and held sockets, like an isolate's
   * hand-over; the answer is the news it needs (which nodes' sockets must not stay open, and the
   * newest deployed version).
   */
  async gateCheckIn(checkIn: GateCheckIn): Promise<GateNews> {
    this.calls++;
    const now = Date.now();
    this.gates.heard(checkIn.gate, checkIn.versionAt, checkIn.report, now);
    this.counted.record(checkIn.report, 'gate', now);
    await this.schedule.arm();
    return this.gates.news(now);
  }

  /** When this client key's admin lockout ends (epoch ms; 0: not locked out). Not counted in `calls`. */
  async adminLockedOut(key: string): Promise<number> {
    return this.logins.lockedUntil(key, Date.now());
  }

  /** Records a failed admin login; when the key's lockout ends (0: not locked out). Not counted in `calls`. */
  async adminLoginFailed(key: string): Promise<number> {
    return this.logins.failed(key, Date.now());
  }

  override async alarm(): Promise<void> {
    await this.schedule.runRound((sentAt) => this.checkAll(sentAt));
  }

  /**
   * One active check of every node, in parallel, sent at `sentAt`; then drains whose deadline passed
   * end. A node's failures recorded while the probes were out are kept (state.ts `recordCheck`).
   */
  protected async checkAll(sentAt: number): Promise<void> {
    const config = this.config();
    const outcomes = await Promise.all(config.nodes.map((node) => probe(node, config.health)));
    config.nodes.forEach((node, index) => {
      const outcome = outcomes[index];
      if (outcome)
        this.update(node.id, (health, limits, now) => recordCheck(health, outcome, now, limits, sentAt));
      this.update(node.id, (health, _limits, now) => expireDrain(health, now));
    });
    this.removeQuietNodes(Date.now());
    this.watchCluster(Date.now());
    // Alerts whose retry is due go out after the round, never in its way.
    this.alerts.deliverDue();
  }

  /** Each node's open sessions and whether it serves, for the alerts no single transition raises. */
  private watchCluster(now: number): void {
    const config = this.config();
    const gauges = this.counted.gauges(now);
    const { onMarkedDown } = config.health;
    const nodes = config.nodes.map((node) => ({
      id: node.id,
      maxSessions: node.maxSessions,
      openSessions: openSessionsOf(gauges, node.id),
      serving: node.weight > 0 && availabilityOf(this.healthOf(node), onMarkedDown) === 'serving',
    }));
    this.alerts.watch(nodes, now);
  }

  /**
   * Removes the nodes whose removal waits for quiet, once they are or their deadline passed
   * (board-roster.ts `dueRemovals`).
   */
  private removeQuietNodes(now: number): void {
    if (Object.keys(this.roster.pending()).length === 0) return;
    const due = this.roster.dueRemovals(this.counted.gauges(now), this.counted.lastActive(now), now);
    for (const [id, by, cause] of due) this.removeNow(id, by, cause);
  }

  /**
   * Node `id` leaves the roster now: its sessions end as a down node's (the gates cut its sockets);
   * `cause` when a pending removal came due.
   */
  private removeNow(id: string, by: string, cause?: RemovalCause): void {
    this.roster.remove(id, by, cause);
    this.forget(id, cause);
    this.gates.tellSoon();
  }

  /** A node no longer in the roster: its health goes, and the gates hear of it as gone for a while. */
  private forget(id: string, cause?: RemovalCause): void {
    this.health.forget(id);
    this.gates.nodeRemoved(id, Date.now());
    logEvent('roster', { node: id, removed: true, ...(cause ? { cause } : {}) });
    this.alerts.removed(id, Date.now());
  }

  /**
   * The config, through the Worker's own loader (parsed once per env; a broken one throws its 500),
   * with the roster as changed at runtime (the changes NODE_HOSTS admits).
   */
  private config(): Config {
    return this.roster.config();
  }

  /** A roster node's health as stored, or a fresh start (node-health-store.ts). */
  private healthOf(node: NodeConfig): NodeHealth {
    return this.health.read(node, Date.now()).health;
  }

  /** Applies `change` to a node's stored health; returns the new health, undefined for an unknown node. */
  private update(
    nodeId: string,
    change: (health: NodeHealth, limits: Config['health'], now: number) => NodeHealth,
  ): NodeHealth | undefined {
    const { nodesById, health: limits } = this.config();
    const node = nodesById.get(nodeId);
    if (!node) return undefined;
    const now = Date.now();
    const { health: before, added } = this.health.read(node, now);
    const after = change(before, limits, now);
    if (after === before) return after;
    this.health.put(node, after);
    const unavailable = (health: NodeHealth) => availabilityOf(health, limits.onMarkedDown) === 'unavailable';
    if (unavailable(before) !== unavailable(after)) this.gates.tellSoon();
    // One event adds at most one transition, at the front; a node stored for the first time has its
    // first (added) one to tell.
    const [newest] = after.transitions;
    if (newest && (newest !== before.transitions[0] || added)) {
      logEvent('health', { node: nodeId, ...newest });
      this.alerts.raise(newest.cause === ADDED ? 'added' : newest.to, nodeId, newest.cause, newest.at);
    }
    return after;
  }

  /** The roster nodes of `config` that serve nothing now: the gates must not keep their sockets. */
  private unavailableIn(config: Config): string[] {
    const { onMarkedDown } = config.health;
    return config.nodes
      .filter((node) => availabilityOf(this.healthOf(node), onMarkedDown) === 'unavailable')
      .map((node) => node.id);
  }

  private read(): HealthSnapshot {
    const now = Date.now();
    const gauges = this.counted.gauges(now);
    const nodes = this.config().nodes.map((node) => ({
      id: node.id,
      origin: node.origin,
      weight: node.weight,
      via: node.via ?? null,
      maxSessions: node.maxSessions ?? null,
      ...this.healthOf(node),
      openSessions: openSessionsOf(gauges, node.id),
    }));
    return { takenAt: now, calls: this.calls, nodes };
  }
}
