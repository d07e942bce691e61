/**
 * A compromised node (or an injected script on a site the router serves): its health check passes,
 * and every other path serves a page whose script tries to drive the router's admin plane with
 * whatever the visitor's browser holds, on the page's own origin and, when `?admin=<origin>` names
 * one, on that origin too. The page records what each attempt got in `window.attempts`.
 *
 *   node test/peers/hostile-page-node.mjs --id CB_Server_1 --port 0
 */
import { createServer } from 'node:http';
import { listen, nodeArgs, stickyCookie } from './node-args.mjs';

const { id, port } = nodeArgs();

const PAGE = `<!doctype html>
<title>a page served through the router</title>
<script>
  window.attempts = null;
  async function attempt(base) {
    const seen = {};
    const opts = { credentials: 'include' };
    let token = '';
    try {
      const roster = await fetch(base + '/__lb/roster', opts);
      seen.roster = roster.status;
      token = /name="form-token" value="([0-9a-f]+)"/.exec(await roster.text())?.[1] ?? '';
    } catch (error) { seen.roster = 'blocked'; }
    seen.token = token !== '';
    try {
      const put = await fetch(base + '/__lb/nodes/ATTACKER', { ...opts, method: 'PUT',
        headers: { 'content-type': 'application/json', 'form-token': token },
        body: JSON.stringify({ url: 'http://127.0.0.1:9', weight: 1000 }) });
      seen.put = put.status;
    } catch (error) { seen.put = 'blocked'; }
    try {
      const disable = await fetch(base + '/__lb/nodes/CB_Server_1/disable', { ...opts, method: 'POST',
        headers: { 'form-token': token } });
      seen.disable = disable.status;
    } catch (error) { seen.disable = 'blocked'; }
    return seen;
  }
  (async () => {
    const admin = new URLSearchParams(location.search).get('admin');
    const result = { own: await attempt('') };
    if (admin) result.admin = await attempt(admin);
    window.attempts = result;
  })();
</script>`;

const server = createServer((req, res) => {
  if (req.url === '/cobrowse/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"status":"ok"}');
  }
  res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': stickyCookie(id) });
  res.end(PAGE);
});
listen(server, id, port);
