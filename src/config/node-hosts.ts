/**
 * `NODE_HOSTS`: the hosts a node added or changed at runtime (the admin API) may have. A stolen admin
 * token must not turn the router into a way in to internal services, so a runtime node's URL must name
 * a host this list allows; `NODES` in wrangler.toml is the operator's own and always allowed.
 *
 * Entries: a host (`cb1.example.com`, `10.1.2.3`, `[fd00::5]`), a domain (`*.cb.example.com`: any name
 * below it, not the name itself), or a CIDR (`10.1.0.0/16`, `fd00::/8`). Ports are not part of it.
 * Unset, the list is the file's nodes' hosts and domains ({@link defaultNodeHosts}).
 *
 * A host is judged as the URL parser and the runtime read it: by the parsed URL's `hostname`, where
 * `0x7f.1` and `2130706433` are `127.0.0.1`, names are lower case, userinfo is gone; a name's one
 * trailing dot (`example.com.`, the same DNS name) is dropped, and an IPv4-mapped IPv6 address
 * (`[::ffff:7f00:1]`) is judged as the IPv4 address it reaches.
 */
import type { FieldReader } from './fields';

type Rule =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'domain'; readonly suffix: string }
  | { readonly kind: 'address'; readonly base: bigint; readonly bits: number };

/** IPv4 addresses are judged as IPv4-mapped IPv6 (::ffff:0:0/96), so one rule covers both spellings. */
const V4_MAPPED = 0xffffn << 32n;
const NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;
const SHAPE = 'a host (cb1.example.com), a domain (*.cb.example.com) or a CIDR (10.1.0.0/16, fd00::/8)';

/** A name as the URL parser reads it (lower case, IDNA), less one trailing dot; undefined if none. */
function hostnameOf(text: string): string | undefined {
  if (/[/?#@\\\s:[\]]/.test(text) && !/^\[[0-9a-fA-F:.]+\]$/.test(text)) return undefined;
  if (!URL.canParse(`http://${text}/`)) return undefined;
  const { hostname } = new URL(`http://${text}/`);
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

/** The address a parsed hostname names, as a 128-bit number (IPv4 mapped); undefined for a name. */
function addressOf(hostname: string): bigint | undefined {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname);
  if (v4) return v4.slice(1).reduce((sum, octet) => sum * 256n + BigInt(octet), 0n) | V4_MAPPED;
  if (!hostname.startsWith('[')) return undefined;
  // WHATWG serializes IPv6 as hex pieces, `::` for the longest run of zeros, never a dotted tail.
  const [head = '', tail = ''] = hostname.slice(1, -1).split('::');
  const pieces = (part: string) => (part === '' ? [] : part.split(':'));
  const [front, back] = [pieces(head), pieces(tail)];
  const all = [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return all.reduce((sum, piece) => (sum << 16n) | BigInt(Number.parseInt(piece, 16)), 0n);
}

/** One entry as a rule; undefined when it is none of the three shapes. */
function ruleOf(entry: string): Rule | undefined {
  const cidr = /^\[?([0-9a-fA-F:.]+)\]?\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const [, address = '', bits = ''] = cidr;
    const host = hostnameOf(address.includes(':') ? `[${address}]` : address);
    const base = host === undefined ? undefined : addressOf(host);
    const width = address.includes(':') ? 128 : 32;
    if (base === undefined || Number(bits) > width) return undefined;
    const prefix = Number(bits) + 128 - width;
    // Bits set past the prefix are a typo (10.1.2.0/8): refused rather than guessed.
    if (prefix < 128 && base & ((1n << BigInt(128 - prefix)) - 1n)) return undefined;
    return { kind: 'address', base, bits: prefix };
  }
  const wildcard = entry.startsWith('*.');
  const host = hostnameOf(wildcard ? entry.slice(2) : entry);
  if (host === undefined) return undefined;
  const address = addressOf(host);
  if (address !== undefined) return wildcard ? undefined : { kind: 'address', base: address, bits: 128 };
  if (!NAME.test(host)) return undefined;
  return wildcard ? { kind: 'domain', suffix: `.${host}` } : { kind: 'name', name: host };
}

function matches(rule: Rule, hostname: string): boolean {
  const address = addressOf(hostname);
  if (rule.kind === 'address') {
    const shift = BigInt(128 - rule.bits);
    return address !== undefined && address >> shift === rule.base >> shift;
  }
  if (address !== undefined) return false;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return rule.kind === 'name' ? name === rule.name : name.endsWith(rule.suffix);
}

/** The host an http(s) URL names, as the runtime reads it; undefined when `url` is no such URL. */
function urlHostname(url: unknown): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.hostname : undefined;
}

/**
 * The file's nodes' hosts and domains, the list when `NODE_HOSTS` is unset. A node named by a DNS
 * name of four labels or more allows its parent domain (`cb1.eu.example.com` allows
 * `*.eu.example.com`: the nodes' own subdomain); a name of three labels or fewer allows itself only,
 * since its parent is a whole registrable domain (`cb1.example.com`: `example.com`, where every other
 * internal host lives) or a public suffix (`co.uk`). An IP address allows that address only.
 */
function defaultNodeHosts(origins: readonly string[]): string[] {
  return origins.flatMap((origin) => {
    const host = urlHostname(origin);
    if (host === undefined) return [];
    const labels = host.replace(/\.$/, '').split('.');
    const isName = addressOf(host) === undefined;
    return isName && labels.length >= 4 ? [`*.${labels.slice(1).join('.')}`] : [];
  });
}

/**
 * `NODE_HOSTS` (already defaulted by the caller when unset) plus the hosts of the file's nodes
 * (`origins`), which are always allowed. Each bad entry is a problem with its field path.
 */
export function parseNodeHosts(read: FieldReader, origins: readonly string[]): readonly string[] {
  const fileHosts = origins.flatMap((origin) => urlHostname(origin) ?? []);
  const before = read.problems.length;
  const value = read.json('NODE_HOSTS');
  if (value === undefined || value === '') {
    if (read.problems.length > before) return fileHosts;
    return [...new Set([...fileHosts, ...defaultNodeHosts(origins)])];
  }
  if (!Array.isArray(value)) {
    read.problems.push(`NODE_HOSTS: must be an array of entries, each ${SHAPE}`);
    return fileHosts;
  }
  const entries: string[] = [];
  value.forEach((entry: unknown, index) => {
    if (typeof entry === 'string' && ruleOf(entry.trim())) entries.push(entry.trim());
    else read.problems.push(`NODE_HOSTS[${index}]: must be ${SHAPE} (got ${JSON.stringify(entry)})`);
  });
  return [...new Set([...fileHosts, ...entries])];
}

/**
 * Why node URL `url` is refused by the allow-list `nodeHosts` (entries as parseNodeHosts keeps them),
 * or undefined when its host is allowed or it is no http(s) URL (the roster check names that).
 */
export function hostProblem(url: unknown, nodeHosts: readonly string[]): string | undefined {
  const hostname = urlHostname(url);
  if (hostname === undefined) return undefined;
  const rules = nodeHosts.flatMap((entry) => ruleOf(entry) ?? []);
  if (rules.some((rule) => matches(rule, hostname))) return undefined;
  return `host ${hostname} is not in NODE_HOSTS (${nodeHosts.join(', ')}): a node added at runtime must be on a host the configuration allows`;
}
