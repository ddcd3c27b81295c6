import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError, FetchRefusedError } from '@hasad/core';

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
  { base: v4(169, 254, 0, 0), bits: 16, reason: 'link-local (169.254.0.0/16), which covers cloud metadata endpoints' },
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
  const embeddedReason = (form: string, v4: number): string | undefined => {
    const r = classifyV4(v4);
    return r === undefined ? undefined : `${form} of ${formatV4(v4)}, which is ${r}`;
  };
  if (prefixZero && f === 0xffff) return embeddedReason('an IPv4-mapped IPv6 address (::ffff:0:0/96)', embedded);
  // Deprecated IPv4-compatible form (::a.b.c.d): routes to the IPv4 address on some stacks.
  if (prefixZero && f === 0) return embeddedReason('an IPv4-compatible IPv6 address (::/96)', embedded);
  // NAT64 (well-known prefix, and the local-use prefix of RFC 8215): the gateway connects to the embedded IPv4 address.
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return embeddedReason('a NAT64 address (64:ff9b::/96)', embedded);
  if (a === 0x64 && b === 0xff9b && c === 1) return embeddedReason('a local-use NAT64 address (64:ff9b:1::/48)', embedded);
  // 6to4: 2002:AABB:CCDD::/48 is the relay route to the IPv4 address AA.BB.CC.DD.
  if (a === 0x2002) return embeddedReason('a 6to4 address (2002::/16)', ((b << 16) | c) >>> 0);
  if ((a & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((a & 0xffc0) === 0xfec0) return 'site-local (fec0::/10, deprecated)';
  if ((a & 0xfe00) === 0xfc00) return 'unique-local, i.e. private (fc00::/7)';
  if ((a & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  return undefined;
}

function formatV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
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

// ---------------------------------------------------------------------------------------------
// Allow-list (dev, demo, tests): hosts reachable although the rules above refuse them.

/** One compiled allow-list entry. `port` undefined means any port. */
type AllowEntry =
  | { kind: 'name'; name: string; port?: number; text: string }
  | { kind: 'net'; family: 4 | 6; base: bigint; bits: number; port?: number; text: string };

/** Which hosts may be fetched: the rules, and the exceptions a deployment grants. */
export interface AddressPolicy {
  /** Skip the address rules altogether (dev, demo, tests only). */
  allowPrivateHosts: boolean;
  /**
   * Exceptions to the rules: host names, IP addresses or CIDR blocks, each optionally with
   * `:port` (`127.0.0.1:8080`, `[::1]:8080`, `10.0.0.0/8`, `feeds.local`). A host name entry
   * allows that name whatever it resolves to; an address or block allows the addresses in it,
   * whichever name led there.
   */
  allowHosts?: readonly string[];
}

/** A policy ready to apply; build it once with {@link compilePolicy}. */
export interface CompiledPolicy {
  allowPrivateHosts: boolean;
  allow: readonly AllowEntry[];
  /** Identifies the policy (for connection pools). */
  key: string;
}

const compiled = new Map<string, CompiledPolicy>();

/**
 * Compiles (and caches) an address policy.
 * @throws ConfigError naming an allow-list entry that cannot be read.
 */
export function compilePolicy(policy: AddressPolicy | boolean): CompiledPolicy {
  const p: AddressPolicy = typeof policy === 'boolean' ? { allowPrivateHosts: policy } : policy;
  const entries = p.allowHosts ?? [];
  const key = `${p.allowPrivateHosts ? 'open' : 'vetted'}|${entries.join(',')}`;
  let c = compiled.get(key);
  if (c === undefined) {
    c = { allowPrivateHosts: p.allowPrivateHosts, allow: entries.map(parseAllowEntry), key };
    if (compiled.size > 100) compiled.clear();
    compiled.set(key, c);
  }
  return c;
}

function parsePort(p: string | undefined, entry: string): number | undefined {
  if (p === undefined) return undefined;
  const n = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new ConfigError(`allow-list entry "${entry}": bad port "${p}"`, { entry });
  return n;
}

function toBig(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(ip);
  if (family === 4) {
    const n = parseV4(ip);
    return n === undefined ? undefined : { family: 4, value: BigInt(n) };
  }
  if (family === 6) {
    const h = parseV6(ip);
    return h === undefined ? undefined : { family: 6, value: h.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n) };
  }
  return undefined;
}

function netEntry(ip: string, bits: number | undefined, port: number | undefined, text: string): AllowEntry {
  const parsed = toBig(ip);
  const width = parsed?.family === 4 ? 32 : 128;
  if (parsed === undefined || (bits !== undefined && (bits < 0 || bits > width))) {
    throw new ConfigError(`allow-list entry "${text}": not an IP address or CIDR block`, { entry: text });
  }
  const b = bits ?? width;
  const mask = b === 0 ? 0n : ((1n << BigInt(b)) - 1n) << BigInt(width - b);
  return { kind: 'net', family: parsed.family, base: parsed.value & mask, bits: b, ...(port !== undefined && { port }), text };
}

/** Parses one allow-list entry (syntax as in `allowHostEntryProblem` of @hasad/core). */
function parseAllowEntry(raw: string): AllowEntry {
  const text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) return netEntry(bracketed[1] ?? '', undefined, parsePort(bracketed[2], text), text);
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (cidr) return netEntry(cidr[1] ?? '', Number(cidr[2]), undefined, text);
  if (isIP(text) !== 0) return netEntry(text, undefined, undefined, text);
  const hostPort = /^([^:]+)(?::(.*))?$/.exec(text);
  const host = hostPort?.[1];
  if (host === undefined || host === '' || !/^[A-Za-z0-9_.-]+$/.test(host)) {
    throw new ConfigError(`allow-list entry "${text}": expected a host name, an IP address or a CIDR block, optionally with :port`, { entry: text });
  }
  const port = parsePort(hostPort?.[2], text);
  if (isIP(host) === 4) return netEntry(host, undefined, port, text);
  return { kind: 'name', name: normaliseName(host), ...(port !== undefined && { port }), text };
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function portMatches(e: AllowEntry, port: number): boolean {
  return e.port === undefined || e.port === port;
}

/** True when `host` (a name) is allow-listed by name for `port`. */
function nameAllowed(policy: CompiledPolicy, host: string, port: number): boolean {
  const name = normaliseName(host);
  return policy.allow.some((e) => e.kind === 'name' && e.name === name && portMatches(e, port));
}

/** The allow-list entries covering `address` (any port). */
function entriesFor(policy: CompiledPolicy, address: string): AllowEntry[] {
  const parsed = toBig(address);
  if (parsed === undefined) return [];
  return policy.allow.filter((e) => {
    if (e.kind !== 'net' || e.family !== parsed.family) return false;
    const width = e.family === 4 ? 32 : 128;
    const mask = e.bits === 0 ? 0n : ((1n << BigInt(e.bits)) - 1n) << BigInt(width - e.bits);
    return (parsed.value & mask) === e.base;
  });
}

/** The default port of a URL's scheme when it names none. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * Checks a URL's scheme and, unless the policy allows private hosts, resolves its host and
 * refuses any non-public address that the allow-list does not cover. Every address the name
 * resolves to must pass: picking the good ones would still let an attacker's DNS steer some
 * connections inward. Nothing is connected to.
 *
 * @param policy the address policy; `true`/`false` are short for `{ allowPrivateHosts }`.
 * @returns the vetted addresses (empty when private hosts are allowed, or the name is allow-listed).
 * @throws FetchRefusedError naming the scheme, or the address and the rule that refused it.
 */
export async function vetUrl(rawUrl: string, policy: AddressPolicy | CompiledPolicy | boolean): Promise<VettedAddress[]> {
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
  const p = typeof policy === 'object' && 'allow' in policy ? policy : compilePolicy(policy);
  if (p.allowPrivateHosts) return [];
  return resolvePublic(rawUrl, hostOf(url), p, portOf(url));
}

const STRICT: CompiledPolicy = { allowPrivateHosts: false, allow: [], key: 'vetted|' };

/**
 * Resolves `host` (or takes it as an IP literal) and returns its addresses when every one is
 * public or allow-listed for `port`.
 * @throws FetchRefusedError for a refused address; HostLookupError when the name does not resolve.
 */
export async function resolvePublic(urlForErrors: string, host: string, policy: CompiledPolicy = STRICT, port?: number): Promise<VettedAddress[]> {
  const literal = isIP(host);
  let addrs: VettedAddress[];
  if (literal !== 0) {
    addrs = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    if (port !== undefined && nameAllowed(policy, host, port)) return [];
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
    if (reason === undefined) continue;
    const covering = entriesFor(policy, a.address);
    if (port !== undefined && covering.some((e) => portMatches(e, port))) continue;
    const via = literal !== 0 ? '' : ` (${host} resolves to ${a.address})`;
    const onlyOn = covering.length > 0 ? `; the allow-list covers it only on port ${covering.map((e) => e.port).join(', ')}` : '';
    throw new FetchRefusedError(urlForErrors, `address ${a.address} is ${reason}${via}; private and loopback hosts are not allowed${onlyOn}`);
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
type LookupFunction = (hostname: string, options: { all?: boolean } | number, callback: LookupCallback) => void;

/**
 * A `net.connect` lookup function that re-resolves and re-vets the host at connect time, so the
 * socket goes to an address that passed the policy (no DNS rebinding between check and connect).
 * `port` is the port being connected to, for allow-list entries with a port.
 */
export function vettingLookupFor(policy: CompiledPolicy, port: number): LookupFunction {
  return (hostname, options, callback) => {
    const all = typeof options === 'object' && options !== null && options.all === true;
    const done = (addrs: VettedAddress[]) => {
      const first = addrs[0];
      if (first === undefined) callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
      else if (all) callback(null, addrs);
      else callback(null, first.address, first.family);
    };
    resolvePublic(`http://${hostname}:${port}/`, hostname, policy, port).then(
      (addrs) => {
        // An allow-listed name is vetted no further; resolve it plainly.
        if (addrs.length > 0 || isIP(hostname) !== 0) return done(addrs.length > 0 ? addrs : [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }]);
        dnsLookup(hostname, { all: true, verbatim: true }).then(
          (found) => done(found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))),
          (err: unknown) => callback(err as NodeJS.ErrnoException, '', 4),
        );
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, '', 4),
    );
  };
}

/** {@link vettingLookupFor} with the strict policy (no allow-list): kept for callers without a port. */
export const vettingLookup: LookupFunction = (hostname, options, callback) => vettingLookupFor(STRICT, 0)(hostname, options, callback);
