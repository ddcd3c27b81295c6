import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A CKAN portal on loopback under `/data`: `package_search` over generated packages, sorted by
 * id, paged by `rows`/`start`, filtered by the `metadata_modified:[SINCE TO *]` clause of an
 * incremental harvest's `fq` (other filters are ignored), optionally slow, logging each request.
 */

/** The id of generated package `i` (a UUID, so that `sort=id asc` is the generation order). */
export const ckanPackageId = (i: number) => `6f1c0a52-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** A CKAN 2.x package as `package_search` returns it, with French and Arabic titles. */
export function ckanPackage(i: number): Record<string, unknown> {
  return {
    id: ckanPackageId(i),
    name: `jeu-de-donnees-${i}`,
    title: `Jeu de données ${i}`,
    title_translated: { fr: `Jeu de données ${i}`, ar: `مجموعة البيانات ${i}` },
    notes: `Statistiques régionales, série ${i}.`,
    state: 'active',
    private: false,
    type: 'dataset',
    license_id: 'odc-odbl',
    license_title: 'Open Data Commons Open Database License (ODbL)',
    license_url: 'http://www.opendefinition.org/licenses/odc-odbl',
    metadata_created: '2023-11-02T09:15:00.000000',
    metadata_modified: '2024-05-06T07:08:09.123456',
    organization: { name: 'hcp', title: 'Haut-Commissariat au Plan' },
    groups: [{ name: 'demographie', title: 'Démographie' }],
    tags: [{ name: 'population', vocabulary_id: null }],
    extras: [{ key: 'frequency', value: 'annuel' }],
    resources: [{ id: `res-${i}`, url: `https://portail.example.ma/files/${i}.csv`, format: 'CSV', mimetype: 'text/csv', size: 2048, url_type: 'upload', created: '2023-11-02T09:16:00.000000' }],
  };
}

export interface CkanPortalRequest {
  start: number;
  rows: number;
  sort: string | null;
  /** The request's `fq`, or null. */
  fq: string | null;
  status: number;
}

const MODIFIED_SINCE = /metadata_modified:\[(\S+) TO \*\]/;

/** Packages modified at or after the `fq`'s `metadata_modified` lower bound (all without one). CKAN's dates are UTC without an offset. */
function modifiedSince(packages: Iterable<Record<string, unknown>>, fq: string | null): Record<string, unknown>[] {
  const m = fq === null ? null : MODIFIED_SINCE.exec(fq);
  const all = [...packages];
  if (!m) return all;
  const since = Date.parse(m[1]!);
  return all.filter((p) => {
    const modified = String(p['metadata_modified']);
    return Date.parse(/Z$|[+-]\d\d:\d\d$/.test(modified) ? modified : `${modified}Z`) >= since;
  });
}

export interface CkanPortal {
  /** The portal's base URL (`http://127.0.0.1:PORT/data`): what a ckan source is registered with. */
  url: string;
  /** Packages by number; tests may add, replace or delete. */
  packages: Map<number, Record<string, unknown>>;
  /** HTTP status to answer for a given `start`, instead of the page. */
  failStarts: Map<number, number>;
  /** Wait this long before answering each `package_search`, ms; read per request, so a test can change it mid-harvest. */
  delayMs: number;
  requests: CkanPortalRequest[];
  close(): Promise<void>;
}

/** Starts a portal of packages 1..`count` on 127.0.0.1 and a random port. */
export async function startCkanPortal(count: number, opts: { delayMs?: number } = {}): Promise<CkanPortal> {
  const packages = new Map<number, Record<string, unknown>>();
  for (let i = 1; i <= count; i++) packages.set(i, ckanPackage(i));
  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://loopback');
      if (u.pathname !== '/data/api/3/action/package_search') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const rows = Number(u.searchParams.get('rows'));
      const start = Number(u.searchParams.get('start'));
      const fail = portal.failStarts.get(start);
      const fq = u.searchParams.get('fq');
      portal.requests.push({ start, rows, sort: u.searchParams.get('sort'), fq, status: fail ?? 200 });
      if (portal.delayMs > 0) await new Promise((r) => setTimeout(r, portal.delayMs));
      if (fail !== undefined) {
        res.writeHead(fail, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, error: { message: 'Internal Server Error' } }));
        return;
      }
      const sorted = modifiedSince(portal.packages.values(), fq).sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
      const body = { help: 'help_show?name=package_search', success: true, result: { count: sorted.length, sort: 'id asc', results: sorted.slice(start, start + rows) } };
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end(JSON.stringify(body));
    })();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const portal: CkanPortal = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/data`,
    packages,
    failStarts: new Map(),
    delayMs: opts.delayMs ?? 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return portal;
}
