/**
 * The status page in a real headless Chromium (Debian's package, driven by playwright-core): it
 * renders every node with its state, and a drain from the page changes routing. The page acts on its
 * own host only (ADMIN_HOST): `localhost` here, while visitors use `127.0.0.1`.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumPresent, OUTPUT, useChromium } from './support/chromium';
import { adminOrigin, TEST_ADMIN_HOST, useCluster } from './support/cluster';

const ADMIN_TOKEN = 'page-test-token-81d3-0123456789abcde';

describe.runIf(chromiumPresent())('the status page in Chromium', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'], {
    ADMIN_TOKEN,
    ADMIN_HOST: TEST_ADMIN_HOST,
    HEALTH_INTERVAL_MS: 500,
    HEALTH_TIMEOUT_MS: 300,
  });
  const chromium = useChromium();

  it('renders every node with its state, and a drain from the page stops new sessions there', async () => {
    const context = await chromium.browser.newContext({
      httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    const res = await page.goto(`${adminOrigin(cluster.router)}/__lb/`);
    expect(res?.status()).toBe(200);
    const cards = page.locator('section.node');
    await expect.poll(() => cards.count()).toBe(3);
    for (const node of cluster.nodes) {
      const card = page.locator(`section[data-node="${node.id}"]`);
      expect(await card.getAttribute('data-state')).toBe('up');
      expect(await card.locator('.state').textContent()).toBe('up');
      expect(await card.textContent()).toContain(node.url);
    }

    await page.locator('section[data-node="CB_Server_2"] button', { hasText: 'Drain' }).click();
    await page.waitForURL(/\/__lb\/$/);
    const drained = page.locator('section[data-node="CB_Server_2"]');
    expect(await drained.getAttribute('data-state')).toBe('draining');
    expect(await drained.locator('button', { hasText: 'Drain' }).isDisabled()).toBe(true);
    expect(await drained.textContent()).toContain('draining (operator)');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}/status-page.png`, fullPage: true });

    const placed = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });
      placed.push(((await res.json()) as { node: string }).node);
    }
    expect(placed).not.toContain('CB_Server_2');
    await context.close();
  });
});
