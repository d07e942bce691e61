/**
 * The admin surface against what a real browser does (Debian's Chromium): where it files the
 * operator's Basic credentials, and whether another page of the same site can frame the status page
 * or make the operator's browser change a node.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, useChromium } from './support/chromium';
import { useCluster } from './support/cluster';

const ADMIN_TOKEN = 'admin-browser-token-0123456789abcdef0';

describe.runIf(chromiumPresent())('the operator’s browser', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], { ADMIN_TOKEN });
  const chromium = useChromium();

  it('logged in at /__lb, its credentials never reach a node', async () => {
    const context = await chromium.browser.newContext();
    const page = await context.newPage();
    const router = new URL(cluster.router.url);
    // As an operator types it: credentials in the URL of /__lb, which answers with a redirect.
    const login = await page.goto(`http://ops:${ADMIN_TOKEN}@${router.host}/__lb`);
    expect(login?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/__lb/');
    const echo = await page.goto(`${cluster.router.url}/cobrowse/echo`);
    const { headers } = (await (echo as NonNullable<typeof echo>).json()) as {
      headers: Record<string, string>;
    };
    expect(headers.authorization).toBeUndefined();
    await context.close();
  });

  describe('a page of the same site (another port of the same host)', () => {
    let attacker: Server;
    let attackerUrl = '';
    beforeAll(async () => {
      attacker = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html>
          <iframe id="framed" src="${cluster.router.url}/__lb/" style="opacity:0.01"></iframe>
          <form method="post" action="${cluster.router.url}/__lb/nodes/CB_Server_1/disable">
            <input type="hidden" name="action" value="disable"><button id="go">Win a prize</button>
          </form>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

    it('cannot frame the status page, and its click cannot disable a node', async () => {
      const context = await chromium.browser.newContext({
        httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
      });
      const page = await context.newPage();
      // The operator is logged in.
      expect((await page.goto(`${cluster.router.url}/__lb/`))?.status()).toBe(200);
      await page.goto(attackerUrl);
      await page.waitForTimeout(500);
      const framed = page.frames().find((frame) => frame !== page.mainFrame());
      // Refused by the browser: the frame holds an error page, never the status page's cards.
      expect(
        await framed
          ?.locator('section.node')
          .count()
          .catch(() => 0),
      ).toBe(0);
      const [answer] = await Promise.all([page.waitForResponse(/\/__lb\/nodes\//), page.click('#go')]);
      expect(answer.status()).toBe(403);
      const status = await fetch(`${cluster.router.url}/__lb/status`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { nodes } = (await status.json()) as { nodes: { id: string; mode: string }[] };
      expect(nodes.find((node) => node.id === 'CB_Server_1')?.mode).toBe('active');
      await context.close();
    });
  });
});
