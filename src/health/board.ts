/**
 * The health board: one Durable Object (SQLite-backed) that holds every node's health and mode.
 *
 * A thin shell: RPC methods for the Worker and the operators, and an alarm that checks every node
 * each HEALTH_INTERVAL_MS and always re-arms, even when a check throws. The rules live in state.ts.
 * The alarm is armed on first use, so a fresh deployment starts checking with its first request.
 */
import { DurableObject } from 'cloudflare:workers';
import { LoginLockout } from '../admin/login-lockout';
import type { AppEnv } from '../app-env';
import type { Config } from '../config/config';
import { rosterViewOf } from '../config/live-config';
import type { RosterEntry } from '../config/roster-changes';
import { logEvent } from '../log';
import { type GateCheckIn, type GateNews, gateNamed } from '../proxy/gate-protocol';
import type { AlertState } from '../telemetry/alerts';
import type { TrafficReport } from '../telemetry/counts';
import { HAND_OVER_MS } from '../telemetry/hand-over';
import {
  currentGauges,
  type IsolateGauges,
  openSessionsOf,
  record,
  type TrafficState,
  type TrafficView,
  trafficView,
} from '../telemetry/traffic';
import { loadTraffic, saveTraffic } from '../telemetry/traffic-storage';
import { availabilityOf } from './availability';
import { BoardRoster, type RosterState } from './board-roster';
import { ClusterAlerts } from './cluster-alerts';
import { GateRegistry } from './gate-registry';
import type { HealthSnapshot } from './health-snapshot';
import { probe } from './probe';
import {
  ADDED,
  addedHealth,
  expireDrain,
  initialHealth,
  type NodeHealth,
  type NodeMode,
  needsConfirmation,
  recordCheck,
  recordPassiveFailure,
  setMode,
} from './state';

/** What the board stores per node: its health, and where it was measured (origin, and binding). */
interface StoredNode {
  readonly origin: string;
  readonly via?: string | null;
  readonly health: NodeHealth;
}

/**
 * A node to be removed goes once nothing was open or counted on it for this long: an isolate with
 * traffic on it hands its counts over within HAND_OVER_MS, so twice that without any is no session.
 */
const QUIET_BEFORE_REMOVAL_MS = 2 * HAND_OVER_MS;
/** How long the gates keep hearing that a removed node is gone (one whose push they missed, too). */
const REMOVED_NEWS_MS = 15 * 60_000;

export class HealthBoard extends DurableObject<AppEnv['Bindings']> {
  private calls = 0;
  /** Of those calls, the ones that carried an isolate's traffic counts. */
  private handOvers = 0;
  private counted: TrafficState | undefined;
  private readonly isolates: IsolateGauges = new Map();
  private readonly gates = new GateRegistry();
  /** Failed admin logins, for every isolate at once (in memory: a reset forgets them, as a minute does). */
  private readonly logins = new LoginLockout();
  /** Set while a round of checks runs: whether a check was asked for meanwhile. */
  private round: { checkAgain: boolean } | undefined;
  /** Set while news for the gates is queued: the changes of one round of checks go out together. */
  private gatesToTell: Promise<void> | undefined;
  /** The roster: NODES with the runtime changes (board-roster.ts). */
  private readonly roster = new BoardRoster(this.ctx.storage.kv, this.env);
  /** Nodes removed from the roster lately, and when: the gates still hear of them as gone. */
  private readonly removed = new Map<string, number>();
  /** What the alert webhook is told (cluster-alerts.ts). */
  private readonly alerts = new ClusterAlerts(
    this.ctx.storage.kv,
    () => this.config().alerts,
    (work) => this.ctx.waitUntil(work),
  );

  /**
   * The current health of every configured node. A router isolate hands over its traffic counts in
   * the same call (telemetry/tally.ts), so counting costs no call of its own.
   */
  async snapshot(report?: TrafficReport): Promise<HealthSnapshot> {
    this.calls++;
    if (report) {
      this.handOvers++;
      this.record(report);
    }
    await this.armAlarm();
    return this.read();
  }

  /**
   * Every node's traffic: totals, gauges, the last minute and the last 15 minutes. An operator's read,
   * not counted in `calls` (which measure what routing costs the board).
   */
  async traffic(): Promise<TrafficView> {
    const nodeIds = this.config().nodes.map((node) => node.id);
    return trafficView(this.trafficState(), this.isolates, nodeIds, Date.now(), this.handOvers);
  }

  /**
   * Records `count` proxied requests that failed at `nodeId` (an isolate batches them:
   * health/failure-reports.ts); returns the health after them. When failures reach HEALTH_FALL, the
   * next round of checks runs now: it, not the requests, takes the node down.
   */
  async reportFailure(nodeId: string, error: string, count = 1): Promise<HealthSnapshot> {
    this.calls++;
    const times = Math.max(1, Math.min(Math.floor(count) || 1, 1_000_000));
    const after = this.update(nodeId, (health, _limits, now) =>
      recordPassiveFailure(health, error, now, times),
    );
    if (after && needsConfirmation(after, this.config().health)) await this.checkSoon();
    else await this.armAlarm();
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
    await this.armAlarm();
    return this.read();
  }

  /**
   * Adds or changes node `id` (`entry`: the fields of a NODES entry less the id), or removes it (null):
   * once quiet (drained meanwhile), or at once with `force`, which ends its sessions as a down node's.
   * `by` says who, for the audit. A change that would break the roster changes nothing: its problems
   * come back, as the config check names them; `unknown` when a node to remove is not in the roster.
   */
  async changeRoster(
    id: string,
    entry: RosterEntry | null,
    force: boolean,
    by: string,
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
      this.roster.removeWhenQuiet(id, by);
      this.update(id, (health, _limits, now) => setMode(health, 'draining', now, null));
    }
    // A node added, moved or gone changes what the gates may reach.
    this.tellGatesSoon();
    await this.armAlarm();
    return { snapshot: this.read() };
  }

  /** Drops every runtime change of the roster: NODES from wrangler.toml is the roster again. */
  async resetRoster(by: string): Promise<HealthSnapshot> {
    this.calls++;
    const before = this.config().nodes.map((node) => node.id);
    this.roster.reset(by);
    const after = this.config().nodesById;
    for (const id of before) if (!after.has(id)) this.forget(id);
    this.tellGatesSoon();
    await this.armAlarm();
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
   * A socket gate's tick (proxy/socket-gate.ts): its counts and held sockets, like an isolate's
   * hand-over; the answer is the news it needs (which nodes' sockets must not stay open, and the
   * newest deployed version).
   */
  async gateCheckIn(checkIn: GateCheckIn): Promise<GateNews> {
    this.calls++;
    this.gates.heard(checkIn.gate, checkIn.versionAt, Date.now());
    this.record(checkIn.report);
    await this.armAlarm();
    return this.gateNews();
  }

  /** Is this client key locked out of the admin API (admin/auth.ts)? Not counted in `calls`. */
  async adminLockedOut(key: string): Promise<boolean> {
    return this.logins.isLocked(key, Date.now());
  }

  /** Records a failed admin login; true when the key is locked out now. Not counted in `calls`. */
  async adminLoginFailed(key: string): Promise<boolean> {
    return this.logins.failed(key, Date.now());
  }

  override async alarm(): Promise<void> {
    const started = Date.now();
    const round = { checkAgain: false };
    this.round = round;
    try {
      await this.checkAll(started);
    } finally {
      // Counted from the start of this round, so a round of timed-out checks does not stretch the
      // interval: a hung node is down within HEALTH_INTERVAL_MS x HEALTH_FALL + HEALTH_TIMEOUT_MS.
      // A check asked for during the round (failures reached HEALTH_FALL) runs right after it: its
      // probes were sent before those failures and could not confirm them.
      const next = round.checkAgain ? Date.now() : started + this.config().health.intervalMs;
      if (this.round === round) this.round = undefined;
      await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
    }
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
    const gauges = currentGauges(this.isolates, now);
    const { onMarkedDown } = config.health;
    const nodes = config.nodes.map((node) => ({
      id: node.id,
      maxSessions: node.maxSessions,
      openSessions: openSessionsOf(gauges, node.id),
      serving: node.weight > 0 && availabilityOf(this.healthOf(node.id), onMarkedDown) === 'serving',
    }));
    this.alerts.watch(nodes, now);
  }

  /**
   * Removes the nodes whose removal waits for quiet, once nothing is open on them (no socket held, no
   * request in flight) and nothing was counted on them for QUIET_BEFORE_REMOVAL_MS: no session in use.
   */
  private removeQuietNodes(now: number): void {
    const pending = Object.entries(this.roster.pending());
    if (pending.length === 0) return;
    const gauges = currentGauges(this.isolates, now);
    const { lastActive } = this.trafficState();
    for (const [id, { at, by }] of pending) {
      const open = (gauges[id] ?? []).some((value) => value > 0);
      const since = Math.max(at, lastActive[id] ?? 0);
      if (!open && now - since >= QUIET_BEFORE_REMOVAL_MS) this.removeNow(id, by);
    }
  }

  /** Node `id` leaves the roster now: its sessions end as a down node's (the gates cut its sockets). */
  private removeNow(id: string, by: string): void {
    this.roster.remove(id, by);
    this.forget(id);
    this.tellGatesSoon();
  }

  /** A node no longer in the roster: its health goes, and the gates hear of it as gone for a while. */
  private forget(id: string): void {
    this.ctx.storage.kv.delete(`node:${id}`);
    this.removed.set(id, Date.now());
    logEvent('roster', { node: id, removed: true });
    this.alerts.removed(id, Date.now());
  }

  private async armAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  /** Brings the next round of checks forward to now (right after the current one, if one runs). */
  private async checkSoon(): Promise<void> {
    if (this.round) {
      // getAlarm() is null while the alarm runs, and the round's end sets the next one: tell it.
      this.round.checkAgain = true;
      return;
    }
    const next = await this.ctx.storage.getAlarm();
    if (next === null || next > Date.now()) await this.ctx.storage.setAlarm(Date.now());
  }

  private trafficState(): TrafficState {
    this.counted ??= loadTraffic(this.ctx.storage.kv, Date.now());
    return this.counted;
  }

  private record(report: TrafficReport): void {
    const state = this.trafficState();
    saveTraffic(this.ctx.storage.kv, state, record(state, this.isolates, report, Date.now()));
  }

  /**
   * The config, through the Worker's own loader (parsed once per env; a broken one throws its 500),
   * with the roster as changed at runtime.
   */
  private config(): Config {
    return this.roster.config();
  }

  /**
   * Health of a node as stored, or a fresh start when the node is new or is now reached elsewhere
   * (another origin, or through another binding).
   */
  private healthOf(nodeId: string): NodeHealth {
    const stored = this.storedHealthOf(nodeId);
    // Spread over a fresh start: health stored by an older version gets the fields it lacks. A node
    // not stored yet is added now (stored with its first update: its first check, within a round).
    return stored ? { ...initialHealth(), ...stored } : addedHealth(Date.now());
  }

  /** The node's health as stored for where it is now; undefined for a node new to the board. */
  private storedHealthOf(nodeId: string): NodeHealth | undefined {
    const node = this.config().nodesById.get(nodeId);
    const stored = this.ctx.storage.kv.get<StoredNode>(`node:${nodeId}`);
    const sameNode = stored && stored.origin === node?.origin && (stored.via ?? null) === (node.via ?? null);
    return sameNode ? stored.health : undefined;
  }

  /** Applies `change` to a node's stored health; returns the new health, undefined for an unknown node. */
  private update(
    nodeId: string,
    change: (health: NodeHealth, limits: Config['health'], now: number) => NodeHealth,
  ): NodeHealth | undefined {
    const node = this.config().nodesById.get(nodeId);
    if (!node) return undefined;
    const added = this.storedHealthOf(nodeId) === undefined;
    const before = this.healthOf(nodeId);
    const after = change(before, this.config().health, Date.now());
    if (after === before) return after;
    this.ctx.storage.kv.put<StoredNode>(`node:${nodeId}`, {
      origin: node.origin,
      via: node.via ?? null,
      health: after,
    });
    const onMarkedDown = this.config().health.onMarkedDown;
    const unavailable = (health: NodeHealth) => availabilityOf(health, onMarkedDown) === 'unavailable';
    if (unavailable(before) !== unavailable(after)) this.tellGatesSoon();
    // One event adds at most one transition, at the front; a node stored for the first time has its
    // first (added) one to tell.
    const [newest] = after.transitions;
    if (newest && (newest !== before.transitions[0] || added)) {
      logEvent('health', { node: nodeId, ...newest });
      this.alerts.raise(newest.cause === ADDED ? 'added' : newest.to, nodeId, newest.cause, newest.at);
    }
    return after;
  }

  private gateNews(): GateNews {
    const config = this.config();
    const { onMarkedDown } = config.health;
    const unavailable = config.nodes
      .map((node) => node.id)
      .filter((id) => availabilityOf(this.healthOf(id), onMarkedDown) === 'unavailable');
    const now = Date.now();
    for (const [id, at] of this.removed) {
      if (now - at > REMOVED_NEWS_MS) this.removed.delete(id);
      else if (!config.nodesById.has(id)) unavailable.push(id);
    }
    return this.gates.news(unavailable, config.nodes.map(rosterViewOf));
  }

  /**
   * Tells every gate that holds sockets which nodes stopped (or resumed) serving, once the current
   * change is done: the gates cut those nodes' sockets at once, without anyone polling.
   */
  private tellGatesSoon(): void {
    this.gatesToTell ??= Promise.resolve().then(async () => {
      this.gatesToTell = undefined;
      const { unavailable, roster } = this.gateNews();
      const { locationHint } = this.config();
      await Promise.all(
        this.gates.live(Date.now()).map((gate) =>
          gateNamed(this.env, gate, locationHint)
            .news(unavailable, roster)
            .catch((error) => logEvent('socket gate unreachable', { gate, error: String(error) }, 'error')),
        ),
      );
    });
    this.ctx.waitUntil(this.gatesToTell);
  }

  private read(): HealthSnapshot {
    const now = Date.now();
    const gauges = currentGauges(this.isolates, now);
    const nodes = this.config().nodes.map(({ id, origin, weight, via, maxSessions }) => ({
      id,
      origin,
      weight,
      via: via ?? null,
      maxSessions: maxSessions ?? null,
      ...this.healthOf(id),
      openSessions: openSessionsOf(gauges, id),
    }));
    return { takenAt: now, calls: this.calls, nodes };
  }
}
