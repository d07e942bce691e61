/**
 * Starts demo nodes as real child processes, so tests and `npm start` can kill, freeze and restart
 * them like real servers.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const NODE_SCRIPT = fileURLToPath(new URL('./demo-node.mjs', import.meta.url));

/**
 * Starts one demo node process and resolves once it listens.
 * @param {{ id: string, port?: number, script?: string }} options port 0 (the default) picks a free
 *   port; `script` runs another node program with the same command line and ready line (test peers)
 * @returns {Promise<{ id: string, port: number, url: string, process: import('node:child_process').ChildProcess, stop: () => Promise<void> }>}
 */
export function startDemoNode({ id, port = 0, script = NODE_SCRIPT }) {
  const child = spawn(process.execPath, [script, '--id', id, '--port', String(port), '--exit-with-stdin'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`demo node ${id} exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      const ready = JSON.parse(line);
      resolve({
        id,
        port: ready.port,
        url: `http://127.0.0.1:${ready.port}`,
        process: child,
        stop: () => stopProcess(child),
      });
    });
  });
}

/** Starts several demo nodes at once. */
export function startDemoCluster(nodes) {
  return Promise.all(nodes.map(startDemoNode));
}

/** Ends a child process (SIGKILL after 2 s) and resolves when it is gone. */
export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}

/**
 * A loopback port where nothing listens (one was just bound and let go): a node that refuses.
 * @returns {Promise<number>}
 */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}
