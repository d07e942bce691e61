/**
 * The command line and lifecycle every node program shares with scripts/demo-node.mjs, so
 * scripts/demo-cluster.mjs can start any of them: `--id`, `--port`, `--exit-with-stdin`, and one JSON
 * ready line on stdout.
 */
import { parseArgs } from 'node:util';

export function nodeArgs() {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      port: { type: 'string', default: '0' },
      'exit-with-stdin': { type: 'boolean', default: false },
    },
  });
  if (values['exit-with-stdin']) process.stdin.on('end', () => process.exit(0)).resume();
  process.on('SIGTERM', () => process.exit(0));
  return { id: values.id ?? 'node', port: Number(values.port) };
}

/** Listens on loopback and prints the ready line. */
export function listen(server, id, port) {
  server.listen(port, '127.0.0.1', () => {
    console.log(JSON.stringify({ ready: true, id, port: server.address().port }));
  });
}

/** The cookie a Co-browse node sets to pin its sessions to itself. */
export const stickyCookie = (id) => `gcbSessionServer=.${id}; Path=/`;
