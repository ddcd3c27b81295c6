import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
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

/**
 * Address classification comes from ipaddr.js (its `range()` follows the IANA special-purpose
 * registries); what is written here is only what it does not say: which ranges a harvester may
 * reach, the words an operator reads, and the IPv4 address that some IPv6 forms lead to.
 */

/** Ranges a harvester may connect to: ordinary unicast, and the anycast services IANA lists as globally reachable. */
const REACHABLE = new Set(['unicast', 'amt', 'as112', 'as112v6']);

const LABELS: Record<string, string> = {
  unspecified: 'unspecified ("this network")',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved (documentation, benchmarking, protocol assignments or future use)',
  uniqueLocal: 'unique-local, i.e. private',
  deprecatedSiteLocal: 'site-local (deprecated)',
  discard: 'discard-only',
  teredo: 'a Teredo tunnel address, which leads to an IPv4 address',
  benchmarking: 'benchmarking',
  deprecatedOrchid: 'ORCHID (deprecated)',
  orchid2: 'ORCHIDv2, an identifier rather than a location',
  droneRemoteIdProtocolEntityTags: 'drone remote ID entity tags',
  segmentRouting: 'segment routing (SRv6)',
};

type Ip = ipaddr.IPv4 | ipaddr.IPv6;
type RangeEntry = [Ip, number];

/** The CIDR block of ipaddr.js's range `name` that holds `addr` (its table, so both agree). */
function blockOf(addr: Ip, name: string): string | undefined {
  const table = (addr as unknown as { SpecialRanges?: Record<string, RangeEntry | RangeEntry[]> }).SpecialRanges?.[name];
  if (table === undefined) return undefined;
  const entries: RangeEntry[] = Array.isArray(table[0]) ? (table as RangeEntry[]) : [table as RangeEntry];
  const hit = entries.find(([base, bits]) => base.kind() === addr.kind() && addr.match(base, bits));
  return hit === undefined ? undefined : `${hit[0].toString()}/${hit[1]}`;
}

function describeRange(addr: Ip, name: string): string {
  const block = blockOf(addr, name);
  const label = `${LABELS[name] ?? name}${block === undefined ? '' : ` (${block})`}`;
  return name === 'linkLocal' && addr.kind() === 'ipv4' ? `${label}, which covers cloud metadata endpoints` : label;
}

function classifyV4(addr: ipaddr.IPv4): string | undefined {
  const name = addr.range();
  return REACHABLE.has(name) ? undefined : describeRange(addr, name);
}

/** The IPv4 address held in the last 32 bits of an IPv6 address. */
function low32(parts: readonly number[]): ipaddr.IPv4 {
  const g = parts[6] ?? 0;
  const k = parts[7] ?? 0;
  return new ipaddr.IPv4([g >> 8, g & 255, k >> 8, k & 255]);
}

function classifyV6(addr: ipaddr.IPv6): string | undefined {
  const p = addr.parts;
  const embedded = (form: string, v4: ipaddr.IPv4): string | undefined => {
    const r = classifyV4(v4);
    return r === undefined ? undefined : `${form} of ${v4.toString()}, which is ${r}`;
  };
  const name = addr.range();
  switch (name) {
    // Forms that lead to an IPv4 address: judged by that address.
    case 'ipv4Mapped':
      return embedded('an IPv4-mapped IPv6 address (::ffff:0:0/96)', addr.toIPv4Address());
    case 'rfc6145':
      return embedded('an IPv4-translated IPv6 address (::ffff:0:0:0/96)', low32(p));
    case 'rfc6052':
      // NAT64 (the well-known prefix, and RFC 8215's local-use one): the gateway connects to the IPv4 address.
      return p[2] === 1 ? embedded('a local-use NAT64 address (64:ff9b:1::/48)', low32(p)) : embedded('a NAT64 address (64:ff9b::/96)', low32(p));
    case '6to4':
      // 2002:AABB:CCDD::/48 is the relay route to the IPv4 address AA.BB.CC.DD.
      return embedded('a 6to4 address (2002::/16)', new ipaddr.IPv4([(p[1] ?? 0) >> 8, (p[1] ?? 0) & 255, (p[2] ?? 0) >> 8, (p[2] ?? 0) & 255]));
    case 'unicast':
      // The deprecated IPv4-compatible form (::a.b.c.d, ::/96), which ipaddr.js leaves unnamed,
      // routes to the IPv4 address on some stacks.
      if (p.slice(0, 6).every((x) => x === 0)) return embedded('an IPv4-compatible IPv6 address (::/96)', low32(p));
      return undefined;
    case 'unspecified':
      return 'unspecified (::)';
    case 'loopback':
      return 'loopback (::1)';
    default:
      return REACHABLE.has(name) ? undefined : describeRange(addr, name);
  }
}

/** Parses an IP literal (IPv6 without brackets, zone id allowed); undefined when it is none. */
function parseIp(ip: string): Ip | undefined {
  // Node's isIP first: ipaddr.js also reads the legacy IPv4 forms (octal, hex, fewer parts).
  const family = isIP(ip);
  if (family === 0) return undefined;
  try {
    if (family === 4) return ipaddr.parse(ip);
    // IPv6 goes through the WHATWG URL parser first (zone id dropped: it changes no rule):
    // ipaddr.js reads an IPv4 tail after `::` as IPv4-mapped (`::127.0.0.1` as ::ffff:7f00:1),
    // where it is the IPv4-compatible ::7f00:1; the URL parser writes it in hex.
    const zone = ip.indexOf('%');
    const host = new URL(`http://[${zone < 0 ? ip : ip.slice(0, zone)}]/`).hostname;
    return ipaddr.IPv6.parse(host.slice(1, -1));
  } catch {
    return undefined;
  }
}

/**
 * Says why an IP address must not be fetched from, or `undefined` when it is a public unicast
 * address. Accepts IPv4 and IPv6 literals (IPv6 without brackets).
 */
export function blockedAddressReason(ip: string): string | undefined {
  const addr = parseIp(ip);
  if (addr === undefined) return isIP(ip) === 0 ? 'not an IP address' : `not a valid IPv${isIP(ip)} address`;
  return addr.kind() === 'ipv4' ? classifyV4(addr as ipaddr.IPv4) : classifyV6(addr as ipaddr.IPv6);
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
  const addr = parseIp(ip);
  if (addr === undefined) return undefined;
  return { family: addr.kind() === 'ipv4' ? 4 : 6, value: addr.toByteArray().reduce((acc, x) => (acc << 8n) | BigInt(x), 0n) };
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
