/** A raw HTTP/1.1 client: sends bytes that fetch() would refuse to send, and reads the status line. */
import { connect } from 'node:net';

export interface RawAnswer {
  /** The response status, or null when the connection ended without a status line. */
  readonly status: number | null;
  readonly head: string;
}

export function sendRaw(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const finish = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: status ? Number(status[1]) : null, head: received.split('\r\n\r\n')[0] ?? '' });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
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
