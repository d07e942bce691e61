/**
 * The admin plane apart from the visitors' origin (issue 31, finding 1), in Debian's Chromium: the
 * operator logs in at /__lb/, then opens a page served through the router whose script (a compromised
 * node, or an injected script on the main site) tries to add a node of its own and disable one with
 * the operator's login. Nothing may change: without ADMIN_HOST the page only reads on the visitors'
 * host; with it, /__lb is not there at all, and the admin host is another origin the page cannot use.
 *
 * Two hosts of one local router: `127.0.0.1` is the visitors' host, `localhost` the admin host.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromiumPresent, useChromium } from './support/chromium';
import { adminOrigin, type Cluster, TEST_ADMIN_HOST, useCluster } from './support/cluster';
import { httpGet } from './support/raw-client';

const HOSTILE = fileURLToPath(new URL('../peers/hostile-page-node.mjs', import.meta.url));
const ADMIN_TOKEN = 'admin-origin-token-0123456789abcdef0123';
const ROSTER_TOKEN = 'admin-origin-roster-0123456789abcdef012';

interface Attempt {
  roster: number | 'blocked';
  token: boolean;
  put: number | 'blocked';
  disable: number | 'blocked';
}

/** The roster's ids and CB_Server_1's mode, as the API shows them. */
async function rosterState(cluster: Cluster, base = cluster.router.url) {
  const res = await fetch(`${base}/__lb/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const { nodes } = (await res.json()) as { nodes: { id: string; mode: string }[] };
  return {
    ids: nodes.map((node) => node.id),
    firstMode: nodes.find((node) => node.id === 'CB_Server_1')?.mode,
  };
}

/** The operator logs in at `adminBase`/__lb, then opens `page`; what its script got. */
async function operatorOpens(
  browser: ReturnType<typeof useChromium>['browser'],
  adminBase: string,
  page: string,
): Promise<{ own: Attempt; admin?: Attempt }> {
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    const admin = new URL(adminBase);
    const login = await tab.goto(`http://ops:${ADMIN_TOKEN}@${admin.host}/__lb`);
    expect(login?.status()).toBe(200);
    await tab.goto(page);
    await tab.waitForFunction(() => (window as unknown as { attempts: unknown }).attempts !== null);
    return (await tab.evaluate(() => (window as unknown as { attempts: unknown }).attempts)) as {
      own: Attempt;
      admin?: Attempt;
    };
  } finally {
    await context.close();
  }
}

describe.runIf(chromiumPresent())('the admin plane and a page served through the router', () => {
  const chromium = useChromium();

  describe('with no ADMIN_HOST (the default)', () => {
    const cluster = useCluster(
      ['CB_Server_1', 'CB_Server_2'],
      { ADMIN_TOKEN, ROSTER_TOKEN },
      { script: HOSTILE },
    );

    it("the page's script can neither read nor change anything with the operator's login", async () => {
      const { own } = await operatorOpens(
        chromium.browser,
        cluster.router.url,
        `${cluster.router.url}/cobrowse/page`,
      );
      // On the visitors' host a browser's login serves what the operator opens, not a script, and
      // changes nothing there.
      expect(own).toEqual({ roster: 403, token: false, put: 403, disable: 403 });
      expect(await rosterState(cluster)).toEqual({
        ids: ['CB_Server_1', 'CB_Server_2'],
        firstMode: 'active',
      });
    });

    it('says on the page why it has no buttons, and the API still takes a Bearer token', async () => {
      const basic = { authorization: `Basic ${btoa(`ops:${ADMIN_TOKEN}`)}`, 'sec-fetch-mode': 'navigate' };
      // node:http: fetch() always says `Sec-Fetch-Mode: cors`, as a script's request does.
      const page = (await httpGet(`${cluster.router.url}/__lb/`, basic)).body;
      expect(page).toContain('Read-only on this host');
      expect(page).not.toContain('name="form-token"');
      const drain = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_2/drain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(drain.status).toBe(200);
      const enable = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_2/enable`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(enable.status).toBe(200);
    });
  });

  describe('with ADMIN_HOST=localhost', () => {
    const cluster = useCluster(
      ['CB_Server_1', 'CB_Server_2'],
      { ADMIN_TOKEN, ROSTER_TOKEN, ADMIN_HOST: TEST_ADMIN_HOST },
      { script: HOSTILE },
    );
    const adminBase = () => adminOrigin(cluster.router);

    it('answers /__lb only on the admin host, and nothing else there', async () => {
      const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
      expect((await fetch(`${cluster.router.url}/__lb/status`, { headers: bearer })).status).toBe(404);
      expect((await fetch(`${cluster.router.url}/__lb/`, { headers: bearer })).status).toBe(404);
      // Liveness stays everywhere: it tells nothing.
      expect((await fetch(`${cluster.router.url}/__lb/health`)).status).toBe(200);
      expect((await fetch(`${adminBase()}/__lb/status`, { headers: bearer })).status).toBe(200);
      // The admin host proxies nothing: no node page ever shares its origin.
      const proxied = await fetch(`${adminBase()}/cobrowse/page`);
      expect(proxied.status).toBe(404);
      expect(await proxied.text()).not.toContain('<script>');
    });

    it("the page's script reaches nothing, on its own origin or the admin host's; the operator acts from the page", async () => {
      const attempts = await operatorOpens(
        chromium.browser,
        adminBase(),
        `${cluster.router.url}/cobrowse/page?admin=${encodeURIComponent(adminBase())}`,
      );
      expect(attempts.own).toEqual({ roster: 404, token: false, put: 404, disable: 404 });
      // Another origin: the browser will not let the page read the admin host's answers (no CORS), and
      // what it sends blind is refused.
      expect(attempts.admin?.roster).toBe('blocked');
      expect(attempts.admin?.put).not.toBe(200);
      expect(attempts.admin?.disable).not.toBe(200);
      expect(await rosterState(cluster, adminBase())).toEqual({
        ids: ['CB_Server_1', 'CB_Server_2'],
        firstMode: 'active',
      });

      // On the admin host, the operator's own click works.
      const context = await chromium.browser.newContext({
        httpCredentials: { username: 'ops', password: ADMIN_TOKEN, origin: adminBase() },
      });
      const tab = await context.newPage();
      await tab.goto(`${adminBase()}/__lb/`);
      await Promise.all([
        tab.waitForURL(`${adminBase()}/__lb/`),
        tab.click('section[data-node="CB_Server_2"] button[value="drain"]'),
      ]);
      await context.close();
      const status = await fetch(`${adminBase()}/__lb/status`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { nodes } = (await status.json()) as { nodes: { id: string; mode: string }[] };
      expect(nodes.find((node) => node.id === 'CB_Server_2')?.mode).toBe('draining');
    });
  });
});
