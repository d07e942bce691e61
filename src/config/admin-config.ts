/**
 * Where the admin plane (`/__lb`) lives and who may use it (admin/auth.ts):
 *
 * - `ADMIN_TOKEN` (a secret): the admin plane is on; the status page, status JSON and metrics, and
 *   the node actions (drain, disable, enable).
 * - `ROSTER_TOKEN` (a secret): runtime roster changes (a node added, changed or removed, a reset).
 *   A roster change names a URL the router will send traffic to, so the token for it is not the one
 *   every status-page login and Prometheus job holds. Unset: roster changes are off.
 * - `ADMIN_HOST`: the host the admin plane answers on, and only it: no proxied page shares its
 *   origin, so no page a node (or an injected script) serves can drive it with the operator's login.
 *   Unset: `/__lb` answers on every host, and a browser's login there reads only.
 * - `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`: Cloudflare Access in front of the admin host; every admin
 *   request must carry Access's signed assertion for that application.
 */
import type { FieldReader } from './fields';

export interface AccessConfig {
  /** `https://<team>.cloudflareaccess.com`: the assertion's issuer, and where its keys are. */
  readonly issuer: string;
  /** The Access application's audience tag. */
  readonly audience: string;
  /** The team's signing keys (JWKS). */
  readonly certsUrl: string;
}

export interface AdminConfig {
  /** The one host `/__lb` answers on (lower case); undefined: every host, browsers read only. */
  readonly host: string | undefined;
  /** Cloudflare Access in front of the admin plane; undefined: not configured. */
  readonly access: AccessConfig | undefined;
}

/** Shortest admin or roster token accepted: 32 characters (`openssl rand -hex 24` gives 48). */
export const MIN_TOKEN_LENGTH = 32;

/** A host name as WHATWG URL gives it: lower-case labels, no port, no trailing dot. */
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Access's team domain as its issuer names it; plain http on loopback only (local tests). */
const TEAM_DOMAIN = /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)+$|^http:\/\/(127\.0\.0\.1|localhost):\d{1,5}$/;
const AUDIENCE = /^[0-9a-f]{64}$/;

export function parseAdmin(read: FieldReader, env: Readonly<Record<string, unknown>>): AdminConfig {
  const problems = read.problems;
  checkToken('ADMIN_TOKEN', env.ADMIN_TOKEN, problems);
  checkToken('ROSTER_TOKEN', env.ROSTER_TOKEN, problems);
  if (present(env.ROSTER_TOKEN) && env.ROSTER_TOKEN === env.ADMIN_TOKEN) {
    problems.push(
      'ROSTER_TOKEN: must differ from ADMIN_TOKEN (a status-page login must not change the roster)',
    );
  }
  const host =
    read.string(
      'ADMIN_HOST',
      '',
      HOST,
      'a lower-case host name like edge-admin.example.com (no scheme, no port)',
    ) || undefined;
  const issuer = read.string(
    'ACCESS_TEAM_DOMAIN',
    '',
    TEAM_DOMAIN,
    'your Access team domain, like https://myteam.cloudflareaccess.com',
  );
  const audience = read.string(
    'ACCESS_AUD',
    '',
    AUDIENCE,
    "the Access application's audience tag (64 hex digits)",
  );
  if (present(env.ACCESS_TEAM_DOMAIN) !== present(env.ACCESS_AUD)) {
    problems.push(
      'ACCESS_TEAM_DOMAIN, ACCESS_AUD: set both (Cloudflare Access in front of /__lb) or neither',
    );
  }
  return {
    host,
    access: issuer && audience ? { issuer, audience, certsUrl: `${issuer}/cdn-cgi/access/certs` } : undefined,
  };
}

/** The admin plane's warnings: what is safe but limited, so the first deploy tells the operator. */
export function adminWarnings(admin: AdminConfig, env: Readonly<Record<string, unknown>>): string[] {
  if (!present(env.ADMIN_TOKEN) || admin.host) return [];
  return [
    'ADMIN_HOST: unset, so /__lb answers on the visitors\u2019 host and the status page only reads there; set it to a host of its own to act from the page',
  ];
}

function present(value: unknown): boolean {
  return value !== undefined && value !== '';
}

/** A token, when set, must be long enough that guessing it is hopeless (the secret is not echoed). */
function checkToken(name: string, token: unknown, problems: string[]): void {
  if (!present(token)) return;
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    problems.push(
      `${name}: must be at least ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 24); unset it to turn what it guards off`,
    );
  }
}
