/**
 * The environments wrangler.toml ships pass the router's own config check as wrangler would deploy
 * them: vars as wrangler reads them, and each binding as the kind of object it becomes (a VPC binding
 * a Fetcher, the health board a Durable Object namespace). A `via` naming a binding the environment
 * does not declare, or declaring it in another environment only, fails here rather than on deploy.
 */
import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { parseConfig } from '../../src/config/config';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

/** The env a Worker deployed from `environment` gets, with stand-ins of the right kind per binding. */
function deployedEnv(environment: string | undefined): Record<string, unknown> {
  const config = unstable_readConfig({ config: 'wrangler.toml', env: environment });
  const fetcher = { fetch: () => Promise.reject(new Error('not reached in this test')), connect() {} };
  const namespace = { idFromName() {}, get() {} };
  const rateLimit = new (class RateLimit {
    limit() {}
  })();
  return {
    ...config.vars,
    ...Object.fromEntries(config.vpc_networks.map(({ binding }: { binding: string }) => [binding, fetcher])),
    ...Object.fromEntries(config.vpc_services.map(({ binding }: { binding: string }) => [binding, fetcher])),
    ...Object.fromEntries(
      config.durable_objects.bindings.map(({ name }: { name: string }) => [name, namespace]),
    ),
    ...Object.fromEntries(config.ratelimits.map(({ name }: { name: string }) => [name, rateLimit])),
  };
}

describe('wrangler.toml', () => {
  it('production: the guide roster on private addresses, every node through the VPC binding, no warning', () => {
    const env = deployedEnv('production');
    const result = parseConfig(env);
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (!result.ok) return;
    expect(result.config.nodes.map(({ id, origin, via }) => ({ id, origin, via }))).toEqual([
      { id: 'CB_Server_1', origin: 'http://192.168.73.210:8700', via: 'COBROWSE_NET' },
      { id: 'CB_Server_2', origin: 'http://192.168.73.210:8701', via: 'COBROWSE_NET' },
    ]);
    expect(result.config.nodes.every((node) => node.fetcher === env.COBROWSE_NET)).toBe(true);
  });

  it('production declares every binding the Worker uses, as the default environment does', () => {
    const names = (env: Record<string, unknown>) => Object.keys(env).sort();
    expect(names(deployedEnv('production'))).toEqual(
      [
        ...names(deployedEnv(undefined)),
        'ADMIN_HOST',
        'ALLOWED_ORIGINS',
        'COBROWSE_NET',
        'LOCATION_HINT',
      ].sort(),
    );
  });

  it('the default environment (npm start, the tests) reaches its local nodes by fetch(), and says they are private', () => {
    const result = parseConfig(deployedEnv(undefined));
    expect(result.ok && result.config.nodes.map((node) => node.via)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(result.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^NODES\[0\]\.url: 127\.0\.0\.1 is a private address/)]),
    );
  });
});

/**
 * Compatibility behaviours the router relies on, with the date each became the default (none: it must
 * be named in compatibility_flags).
 */
const RELIED_ON: { flag: string; off: string; since?: string }[] = [
  {
    flag: 'handle_cross_request_promise_resolution',
    off: 'no_handle_cross_request_promise_resolution',
    since: '2024-10-14',
  },
  // The port of a node's URL honoured by fetch().
  { flag: 'allow_custom_ports', off: 'ignore_custom_ports', since: '2024-09-02' },
  // A client's disconnect aborts request.signal, which ends its request at the node.
  { flag: 'enable_request_signal', off: 'disable_request_signal' },
];

describe.each([undefined, 'production'])('the %s environment', (environment) => {
  it('keeps what the router costs at its documented defaults (docs/costs.md "What it costs")', () => {
    const config = unstable_readConfig({ config: 'wrangler.toml', env: environment });
    // The runtime's own line per invocation would be a billed log event per request.
    expect(config.observability?.logs?.invocation_logs).toBe(false);
    expect(config.observability?.enabled).toBe(true);
    // Set deliberately, below the 30 s default; above the heaviest invocation measured (6.5 ms).
    expect(config.limits?.cpu_ms).toBe(1000);
  });

  it('keeps every runtime behaviour the router relies on', () => {
    const config = unstable_readConfig({ config: 'wrangler.toml', env: environment });
    const flags: string[] = config.compatibility_flags ?? [];
    for (const { flag, off, since } of RELIED_ON) {
      const byDate =
        since !== undefined && String(config.compatibility_date) >= since && !flags.includes(off);
      expect(flags.includes(flag) || byDate, `${flag} (default since ${since ?? 'never'})`).toBe(true);
    }
  });
});
