/**
 * What kind of address a node's URL names, for the config check's warnings: a deployed Worker's
 * `fetch()` reaches public DNS names only; a private address needs a Workers VPC binding.
 */
export type AddressKind = 'private' | 'public-ip' | 'name';

/** IPv4 ranges no public route leads to: RFC 1918, loopback, link-local, shared (CGNAT), "this". */
const PRIVATE_V4: readonly (readonly [number, number])[] = [
  [0x0a000000, 8], // 10.0.0.0/8
  [0xac100000, 12], // 172.16.0.0/12
  [0xc0a80000, 16], // 192.168.0.0/16
  [0x7f000000, 8], // 127.0.0.0/8
  [0xa9fe0000, 16], // 169.254.0.0/16
  [0x64400000, 10], // 100.64.0.0/10
  [0x00000000, 8], // 0.0.0.0/8
];

/** Names public DNS never answers: they only resolve inside a site's own network. */
const PRIVATE_NAME = /(^|\.)(localhost|local|internal|lan|intranet|corp|home\.arpa)$/;

/**
 * `hostname` as WHATWG URL gives it (IPv4 in dotted decimal, IPv6 in brackets, names lower-cased).
 * A single-label name (`cbnode1`) is private too: it resolves through a local search domain only.
 */
export function addressKind(hostname: string): AddressKind {
  if (hostname.startsWith('[')) return isPrivateV6(hostname.slice(1, -1)) ? 'private' : 'public-ip';
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname);
  if (v4) {
    const value = v4.slice(1).reduce((sum, octet) => sum * 256 + Number(octet), 0);
    return PRIVATE_V4.some(([base, bits]) => value >>> (32 - bits) === base >>> (32 - bits))
      ? 'private'
      : 'public-ip';
  }
  return PRIVATE_NAME.test(hostname) || !hostname.includes('.') ? 'private' : 'name';
}

/** Loopback, unspecified, unique local (fc00::/7), link-local (fe80::/10), IPv4-mapped private. */
function isPrivateV6(address: string): boolean {
  if (address === '::1' || address === '::') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const high = Number.parseInt(mapped[1] as string, 16);
    const low = Number.parseInt(mapped[2] as string, 16);
    return addressKind(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`) === 'private';
  }
  const first = Number.parseInt(address.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}
