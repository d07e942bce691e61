/**
 * What the admin plane of this isolate remembers between requests, in one object with one documented
 * instance ({@link adminMemory}), as the Worker's own pieces live in worker/isolate.ts:
 *
 * | piece | what it holds | who changes it, and when |
 * |---|---|---|
 * | `lockouts` (lockout-memory.ts) | client keys the board locked out of the admin plane, until when | an admin request the board refused |
 * | `accessKeys` (access.ts) | Cloudflare Access's signing keys | an admin request whose assertion names a key not held, or when they are an hour old |
 */
import { AccessKeys } from './access';
import { LockoutMemory } from './lockout-memory';

export class AdminMemory {
  readonly lockouts = new LockoutMemory();
  readonly accessKeys = new AccessKeys();
}

/** The admin plane's memory in the isolate this code runs in. */
export const adminMemory = new AdminMemory();
