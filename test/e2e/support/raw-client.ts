/**
 * Clients for requests fetch() would refuse to send: raw bytes (read up to the end of the head), and
 * GETs with hop-by-hop headers (node:http, whole answer).
 */
import { request } from 'node:http';
import { connect } from 'node:net';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

/** A GET with exactly these headers, hop-by-hop ones included. */
export function httpGet(url: string, headers: Record<string, string>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface RawAnswer {
  /** The response status, or null when the connection ended without a status line. */
  readonly status: number | null;
  readonly head: string;
  /** What came after the head (with `untilClose`: all of it, as sent, chunked or not). */
  readonly body: string;
}

/**
 * Writes `request` and reads the answer's head, or with `untilClose` everything until the server
 * closes (send `Connection: close`). A server may answer before it read the whole request and close:
 * the answer is still read, where fetch() would fail on the write (EPIPE).
 */
export function sendRaw(
  port: number,
  request: string | Buffer,
  timeoutMs = 5000,
  { untilClose = false } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const finish = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      const [head = '', ...rest] = received.split('\r\n\r\n');
      resolve({ status: status ? Number(status[1]) : null, head, body: rest.join('\r\n\r\n') });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!untilClose && received.includes('\r\n\r\n')) {
        clearTimeout(timer);
        finish();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      finish();
    });
  });
}
