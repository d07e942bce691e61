import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      // Pure parts, in Node.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      // Inside workerd: the health board's alarms and storage, and the Worker's hot path.
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                NODES: inject('nodes'),
                HEALTH_INTERVAL_MS: 3_600_000,
                HEALTH_TIMEOUT_MS: 300,
                CONNECT_TIMEOUT_MS: 1000,
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          globalSetup: ['test/worker/global-setup.ts'],
          // Real alarms and real waits (the board-unreachable test sleeps past the 2 s staleness), on
          // two cores shared with the e2e suites.
          testTimeout: 30_000,
          // The Worker's own per-request log lines would drown the test output.
          onConsoleLog: (log) => !log.startsWith('{"msg":"request"'),
        },
      },
      // The Worker over the wire, with real node processes and clients around it.
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
