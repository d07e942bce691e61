/**
 * Real nodes for the tests that run inside workerd: demo-node processes that are healthy, that
 * report themselves unhealthy (503), and that hang (SIGSTOP), plus a port where nothing listens.
 */
import type { TestProject } from 'vitest/node';
import { closedPort, startDemoCluster } from '../../scripts/demo-cluster.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    nodes: { id: string; url: string }[];
  }
}

export default async function setup(project: TestProject) {
  const [ok, sick, hung] = await startDemoCluster([{ id: 'ok' }, { id: 'sick' }, { id: 'hung' }]);
  await fetch(`${sick.url}/cobrowse/control?status=503`, { method: 'POST' });
  hung.process.kill('SIGSTOP');
  project.provide('nodes', [
    { id: 'ok', url: ok.url },
    { id: 'sick', url: sick.url },
    { id: 'hung', url: hung.url },
    { id: 'refused', url: `http://127.0.0.1:${await closedPort()}` },
  ]);
  return async () => {
    await Promise.all([ok, sick, hung].map((node) => node.stop()));
  };
}
