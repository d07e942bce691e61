/**
 * A real headless Chromium opens the demo page through the router, gets its stickiness cookie from a
 * node, and keeps a WebSocket and a long-poll on that node; then the node is killed, and the page is
 * told by another node that its session ended, on both channels.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumPresent, OUTPUT, useChromium } from './support/chromium';
import { useCluster } from './support/cluster';

describe.runIf(chromiumPresent())('a Co-browse page in Chromium', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'], {
    HEALTH_INTERVAL_MS: 500,
    HEALTH_TIMEOUT_MS: 300,
  });
  const chromium = useChromium();

  it('keeps its WebSocket and long-poll on its node, and hears the session end when that node dies', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`${cluster.router.url}/cobrowse/`);
    const out = page.locator('#out');
    await page.click('#start');
    await expect.poll(() => out.textContent()).toMatch(/session \S+ on CB_Server_\d/);
    const owner = /session \S+ on (CB_Server_\d)/.exec((await out.textContent()) ?? '')?.[1] as string;
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'gcbSessionServer')?.value).toBe(`.${owner}`);

    await page.click('#ws');
    await page.click('#poll');
    await expect.poll(() => out.textContent()).toContain(`ws: {"node":"${owner}"`);
    await expect
      .poll(async () => ((await out.textContent()) ?? '').match(/poll 200/g)?.length ?? 0, { timeout: 5000 })
      .toBeGreaterThanOrEqual(2);
    const before = (await out.textContent()) ?? '';
    expect(before.match(/"node":"(CB_Server_\d)"/g)?.every((match) => match.includes(owner))).toBe(true);

    cluster.node(owner).process.kill('SIGKILL');
    await expect
      .poll(() => out.textContent(), { timeout: 10_000 })
      .toMatch(/poll 410 .*"reason":"not-owner"/);
    await expect
      .poll(() => out.textContent(), { timeout: 10_000 })
      .toMatch(/ws: .*"state":"terminated","reason":"not-owner"/);
    const after = ((await out.textContent()) ?? '').slice(before.length);
    const enders = [...after.matchAll(/"node":"(CB_Server_\d)"[^\n]*not-owner/g)].map((match) => match[1]);
    expect(enders.length).toBeGreaterThanOrEqual(2);
    expect(enders).not.toContain(owner);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}/session-ended.png`, fullPage: true });
  });
});
