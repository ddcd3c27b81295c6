import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { FetchRefusedError } from '@hasad/core';

/**
 * Which addresses the harvester may connect to. Harvest URLs come from users, so without
 * this check a source URL could make the fetcher read internal services (cloud metadata at
 * 169.254.169.254, the database, Redis) and store the answer in the public catalogue.
 */

/** A resolved, vetted address ready to hand to `net.connect`. */
export interface VettedAddress {
  address: string;
  family: 4 | 6;
}

interface V4Range {
  base: number;
  bits: number;
  reason: string;
}

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

// Order matters only for the reason reported; ranges do not overlap.
const BLOCKED_V4: V4Range[] = [
  { base: v4(0, 0, 0, 0), bits: 8, reason: 'unspecified ("this network", 0.0.0.0/8)' },
  { base: v4(10, 0, 0, 0), bits: 8, reason: 'private (10.0.0.0/8)' },
  { base: v4(100, 64, 0, 0), bits: 10, reason: 'carrier-grade NAT (100.64.0.0/10)' },
  { base: v4(127, 0, 0, 0), bits: 8, reason: 'loopback (127.0.0.0/8)' },
  { base: v4(169, 254, 0, 0), bits: 16, reason: 'link-local (169.254.0.0/16)' },
  { base: v4(172, 16, 0, 0), bits: 12, reason: 'private (172.16.0.0/12)' },
  { base: v4(192, 0, 0, 0), bits: 24, reason: 'IETF protocol assignments (192.0.0.0/24)' },
  { base: v4(192, 168, 0, 0), bits: 16, reason: 'private (192.168.0.0/16)' },
  { base: v4(198, 18, 0, 0), bits: 15, reason: 'benchmarking (198.18.0.0/15)' },
  { base: v4(224, 0, 0, 0), bits: 4, reason: 'multicast (224.0.0.0/4)' },
  { base: v4(240, 0, 0, 0), bits: 4, reason: 'reserved or broadcast (240.0.0.0/4)' },
];

function parseV4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const octet = Number(p);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

function classifyV4(n: number): string | undefined {
  for (const r of BLOCKED_V4) {
    const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
    if (((n & mask) >>> 0) === r.base) return r.reason;
  }
  return undefined;
}

/** Parses an IPv6 literal (with optional embedded IPv4 tail and zone id) into 8 hextets. */
function parseV6(ip: string): number[] | undefined {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // Embedded IPv4 tail (::ffff:1.2.3.4): rewrite it as two hextets and parse as usual.
    const n = parseV4(s.slice(lastColon + 1));
    if (n === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (h: string | undefined): number[] | undefined => {
    if (h === undefined || h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = toGroups(halves[0]);
  const rest = halves.length === 2 ? toGroups(halves[1]) : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1 && explicit !== 8) return undefined;
  if (halves.length === 2 && explicit > 7) return undefined;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return [...head, ...zeros, ...rest];
}

function classifyV6(h: number[]): string | undefined {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, k = 0] = h;
  const prefixZero = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  if (prefixZero && f === 0 && g === 0 && k === 0) return 'unspecified (::)';
  if (prefixZero && f === 0 && g === 0 && k === 1) return 'loopback (::1)';
  const embedded = ((g << 16) | k) >>> 0;
  if (prefixZero && f === 0xffff) {
    const r = classifyV4(embedded);
    return r === undefined ? undefined : `IPv4-mapped IPv6 of a ${r} address`;
  }
  if (prefixZero && f === 0) {
    // Deprecated IPv4-compatible form (::a.b.c.d): routes to the IPv4 address on some stacks.
    const r = classifyV4(embedded);
    return r === undefined ? undefined : `IPv4-compatible IPv6 of a ${r} address`;
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) {
    // NAT64 well-known prefix: the gateway would connect to the embedded IPv4 address.
    const r = classifyV4(embedded);
    return r === undefined ? undefined : `NAT64 IPv6 of a ${r} address`;
  }
  if ((a & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((a & 0xffc0) === 0xfec0) return 'site-local (fec0::/10, deprecated)';
  if ((a & 0xfe00) === 0xfc00) return 'unique-local (fc00::/7)';
  if ((a & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  return undefined;
}

/**
 * Says why an IP address must not be fetched from, or `undefined` when it is a public unicast
 * address. Accepts IPv4 and IPv6 literals (IPv6 without brackets).
 */
export function blockedAddressReason(ip: string): string | undefined {
  const kind = isIP(ip);
  if (kind === 4) {
    const n = parseV4(ip);
    return n === undefined ? 'not a valid IPv4 address' : classifyV4(n);
  }
  if (kind === 6) {
    const h = parseV6(ip);
    return h === undefined ? 'not a valid IPv6 address' : classifyV6(h);
  }
  return 'not an IP address';
}

/** Strips the brackets WHATWG URL keeps around IPv6 hostnames. */
export function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * Checks a URL's scheme and, unless `allowPrivateHosts`, resolves its host and refuses any
 * non-public address. Every address the name resolves to must be public: picking the good
 * ones would still let an attacker's DNS steer some connections inward.
 *
 * @returns the vetted addresses (empty when private hosts are allowed and nothing was resolved).
 * @throws FetchRefusedError naming the scheme or the address and why it is refused.
 */
export async function vetUrl(rawUrl: string, allowPrivateHosts: boolean): Promise<VettedAddress[]> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new FetchRefusedError(rawUrl, 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefusedError(rawUrl, `scheme "${url.protocol.replace(/:$/, '')}" is not allowed (only http and https)`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in URLs end up in logs and run reports.
    throw new FetchRefusedError(rawUrl, 'credentials in the URL are not allowed');
  }
  if (allowPrivateHosts) return [];
  return resolvePublic(rawUrl, hostOf(url));
}

/**
 * Resolves `host` (or takes it as an IP literal) and returns its addresses when all are public.
 * @throws FetchRefusedError for a non-public address; FetchRefusedError when the name does not resolve.
 */
export async function resolvePublic(urlForErrors: string, host: string): Promise<VettedAddress[]> {
  const literal = isIP(host);
  let addrs: VettedAddress[];
  if (literal !== 0) {
    addrs = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    let found: { address: string; family: number }[];
    try {
      found = await dnsLookup(host, { all: true, verbatim: true });
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      throw new HostLookupError(urlForErrors, host, code, err);
    }
    addrs = found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  }
  for (const a of addrs) {
    const reason = blockedAddressReason(a.address);
    if (reason !== undefined) {
      const via = literal !== 0 ? '' : ` (${host} resolves to ${a.address})`;
      throw new FetchRefusedError(urlForErrors, `address ${a.address} is ${reason}${via}; private and loopback hosts are not allowed`);
    }
  }
  return addrs;
}

/**
 * DNS failure while vetting. Kept apart from FetchRefusedError because a name that does not
 * resolve today may resolve tomorrow: the HTTP client reports it as a (transient) network error.
 */
export class HostLookupError extends Error {
  constructor(
    readonly url: string,
    readonly host: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(`DNS lookup of ${host} failed (${code})`, { cause });
    this.name = 'HostLookupError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;

/**
 * A `net.connect` lookup function that re-resolves and re-vets the host at connect time, so the
 * socket goes to an address that passed the policy (no DNS rebinding between check and connect).
 */
export function vettingLookup(hostname: string, options: { all?: boolean } | number, callback: LookupCallback): void {
  const all = typeof options === 'object' && options !== null && options.all === true;
  resolvePublic(`http://${hostname}/`, hostname).then(
    (addrs) => {
      const first = addrs[0];
      if (first === undefined) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
      } else if (all) {
        callback(null, addrs);
      } else {
        callback(null, first.address, first.family);
      }
    },
    (err: unknown) => callback(err as NodeJS.ErrnoException, '', 4),
  );
}
