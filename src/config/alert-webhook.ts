/** The alert webhook's settings (board/alerts.ts), checked with the rest of the config. */

/** Where the health board sends its alerts, and the secret it signs them with. */
export interface AlertConfig {
  readonly url: string;
  readonly secret: string;
}

/** Shortest webhook secret accepted. */
const MIN_ALERT_SECRET_LENGTH = 16;

/** ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET (both secrets): an http(s) URL needs a secret to sign with. */
export function parseAlerts(
  env: Readonly<Record<string, unknown>>,
  problems: string[],
): AlertConfig | undefined {
  const { ALERT_WEBHOOK_URL: url, ALERT_WEBHOOK_SECRET: secret } = env;
  if (url === undefined || url === '') {
    if (secret !== undefined && secret !== '') {
      problems.push('ALERT_WEBHOOK_SECRET: set, but ALERT_WEBHOOK_URL is not: set both, or neither');
    }
    return undefined;
  }
  const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    problems.push('ALERT_WEBHOOK_URL: must be an absolute https:// (or http://) URL');
  }
  if (typeof secret !== 'string' || secret.length < MIN_ALERT_SECRET_LENGTH) {
    problems.push(
      `ALERT_WEBHOOK_SECRET: must be at least ${MIN_ALERT_SECRET_LENGTH} characters when ALERT_WEBHOOK_URL is set (alerts are signed with it)`,
    );
  }
  return parsed && typeof secret === 'string' ? { url: parsed.href, secret } : undefined;
}
