import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Test settings for the router's config, wherever the router runs (main or a neighbour). */
const routerBindings = (nodes: unknown) => ({
  NODES: nodes,
  HEALTH_INTERVAL_MS: 3_600_000,
  HEALTH_TIMEOUT_MS: 300,
  CONNECT_TIMEOUT_MS: 1000,
});

/** The deployment's scripts as built (test/build-scripts.ts), bound to each other as their configs say. */
const neighbours = {
  router: (nodes: unknown, withGates = true) => ({
    name: 'cobrowse-edge',
    modules: true,
    scriptPath: 'dist/index.js',
    compatibilityDate: '2026-10-30',
    compatibilityFlags: ['enable_request_signal'],
    bindings: routerBindings(nodes),
    durableObjects: {
      HEALTH: { className: 'HealthBoard', useSQLite: true },
      ...(withGates
        ? { SOCKETS: { className: 'SocketGate', useSQLite: true, scriptName: 'cobrowse-edge-gates' } }
        : {}),
    },
  }),
  /**
   * The gates' script, without its board: the plugin names the main script's runner itself, so a
   * neighbour cannot bind it by name. The router's tests open no socket (the e2e suites do, with every
   * script bound as deployed).
   */
  gates: {
    name: 'cobrowse-edge-gates',
    modules: true,
    scriptPath: 'dist/gates/index.js',
    compatibilityDate: '2026-10-30',
    durableObjects: { GATES: { className: 'SocketGate', useSQLite: true } },
  },
};

export default defineConfig({
  test: {
    globalSetup: ['test/build-scripts.ts'],
    projects: [
      // Pure parts, and static checks of the source (test/static: the import graph), in Node.
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/static/**/*.test.ts'],
          environment: 'node',
        },
      },
      // Inside workerd: the health board's alarms and storage, and the Worker's hot path.
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // The admin plane on, for the tests of what its requests cost the board.
              bindings: {
                ...routerBindings(inject('nodes')),
                ADMIN_TOKEN: 'worker-admin-token-0123456789abcdef012',
              },
              workers: [neighbours.gates],
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          exclude: ['test/worker/socket-gate.test.ts'],
          globalSetup: ['test/worker/global-setup.ts'],
          // Real alarms and real waits (the board-unreachable test sleeps past the 2 s staleness), on
          // two cores shared with the e2e suites.
          testTimeout: 30_000,
          // The Worker's own per-request log lines would drown the test output.
          onConsoleLog: (log) => !log.startsWith('{"msg":"request"'),
        },
      },
      // Inside workerd, the gates' script as main: a gate's alarms, storage and state, with the router's
      // health board and the tail consumer beside it.
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.gates.toml' },
            // The plugin names this script's runner itself, so neighbours cannot bind it by name: the
            // board here pushes to no gate (these tests drive the gate's own ticks), and no tail
            // consumer runs (no end is reported; the e2e suites run it).
            miniflare: { workers: [neighbours.router(inject('nodes'), false)], tails: [] },
          })),
        ],
        test: {
          name: 'gate',
          include: ['test/worker/socket-gate.test.ts'],
          globalSetup: ['test/worker/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
      // The Worker over the wire, with real node processes and clients around it.
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
