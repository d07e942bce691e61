/**
 * The Worker's own state in this isolate, in one object with one documented instance ({@link isolate}), as Caddy's
 * reverse proxy keeps its one documented global. Everything a request of this isolate leaves behind
 * for the next one lives here, and only here:
 *
 * | piece | what it holds | who changes it, and when |
 * |---|---|---|
 * | `name` | this isolate's id (a UUID, made on first use: random values cannot be made at start-up) | nobody, once made |
 * | `tally` (worker/tally.ts) | traffic counts since the last hand-over, gauges of work open | the proxy handler as it answers; a refresh that asks the board takes them |
 * | `shared` (worker/shared-copy.ts) | whether other isolates of the location were seen, when to probe | a refresh, when it looks at the location's cache |
 * | `health` (worker/health-copy.ts) | the health copy, the refresh in flight, failure reports in flight | a refresh (a request finding the copy old, open work's timer, the hand-over timer), an operator action, a failure report's answer |
 * | `watches` (worker/in-flight.ts) | requests waiting for headers and streams in flight | the request that owns the work (watch, release); a newer health copy (its node went) |
 * | `points` (worker/analytics.ts) | per kind of routine request, how many were seen (which data point to write) | the proxy handler as it answers |
 * | `live` (config/live-config.ts) | the config with the board's roster (runtime changes) | a request that finds a health copy whose roster differs from the last one |
 * | `gateTrouble` (lib/log.ts LogThrottle) | when a handshake that could reach no socket gate was last logged | a WebSocket handshake whose gate is unreachable |
 *
 * The admin plane's pieces (its lockouts, Access's keys) are its own, in admin/admin-memory.ts, which
 * may read these; nothing here reads those.
 *
 * Modules get the piece they need from here (passed in, or through their caller), never from each
 * other's module state; a test can make a fresh `Isolate`.
 */

import type { Bindings } from '../config/bindings';
import type { Config } from '../config/config';
import { LiveConfig } from '../config/live-config';
import { configFor } from '../config/load';
import { LogThrottle } from '../lib/log';
import { PointSampler } from './analytics';
import { HealthCopy } from './health-copy';
import { Watches } from './in-flight';
import { SharedCopy } from './shared-copy';
import { Tally } from './tally';

export class Isolate {
  private id: string | undefined;
  readonly tally = new Tally(() => this.name());
  readonly shared = new SharedCopy(() => this.name());
  readonly health = new HealthCopy(this.tally, this.shared);
  readonly watches = new Watches(this.health);
  readonly points = new PointSampler();
  /** Handshakes that bypass the gates are logged at most once a minute. */
  readonly gateTrouble = new LogThrottle(60_000);
  private readonly live = new LiveConfig();

  /**
   * The config requests are routed by now: the Worker's own, with the roster of the latest health copy
   * (operators may change it at runtime). A broken config throws its 500, as configFor does.
   */
  config(env: Bindings): Config {
    return this.live.of(configFor(env), this.health.latest()?.nodes, env);
  }

  /** This isolate's name, for what it tells others about itself (the board, the location's cache). */
  name(): string {
    this.id ??= crypto.randomUUID();
    return this.id;
  }
}

/** The isolate this code runs in: the one instance every request of it shares. */
export const isolate = new Isolate();
