import type { FastifyRequest } from 'fastify';
import { DataFactory, type Quad } from 'n3';
import { redactUrl } from '@hasad/core';
import { dataServicesOfSources, iriClaimedEarlier, recordsNamedBy, sourceDescriptionsOf, type DatasetRow, type DbHandle, type LinkedRecord } from '@hasad/db';
import { datasetIri, datasetQuads, type ExportDataset, type ServedBy } from './dcat-graph.ts';
import { originalIdentifierQuads, uniqueQuads, withKeptDescription } from './kept-description.ts';
import { RDF_MEDIA_TYPES, type RdfFormat } from './rdf-serialize.ts';

/** Media types the RDF endpoints answer in, Turtle first (the default). */
export const RDF_OFFERED = [RDF_MEDIA_TYPES.turtle, RDF_MEDIA_TYPES.jsonld, RDF_MEDIA_TYPES.rdfxml, RDF_MEDIA_TYPES.ntriples] as const;
const FORMAT_OF: Record<string, RdfFormat> = Object.fromEntries(Object.entries(RDF_MEDIA_TYPES).map(([f, t]) => [t, f as RdfFormat]));

export function rdfFormatOf(mediaType: string | undefined): RdfFormat | undefined {
  return mediaType === undefined ? undefined : FORMAT_OF[mediaType];
}

/** Scheme, host and port the client used: dataset and catalogue IRIs are built on it. */
export function baseUrlOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

export function toExportDataset(row: DatasetRow): ExportDataset {
  return { id: row.id, uri: row.uri, record: row.record, organizationName: row.organizationName, sourceUrl: publicUrl(row.sourceUrl) };
}

/** A source's feed URL fit to publish: no user or password, secrets in the query masked. */
function publicUrl(url: string): string {
  try {
    const u = new URL(redactUrl(url));
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '';
  }
}


/**
 * The keys a coupled-resource reference (`srv:operatesOn`: an identifier, or a link to the
 * dataset's metadata such as a GetRecordById URL or GeoNetwork's `/records/<uuid>`) may name a
 * record by: the reference itself, its `id` parameter, and a UUID in its path.
 */
export function referenceKeys(ref: string): string[] {
  const keys = [ref];
  if (URL.canParse(ref)) {
    const u = new URL(ref);
    for (const [k, v] of u.searchParams) if (k.toLowerCase() === 'id' && v !== '') keys.push(v);
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(u.pathname)?.[0];
    if (uuid !== undefined) keys.push(uuid);
  }
  return keys;
}

/** The names a record answers to: its identifier in the source, its IRI, its other identifiers. */
const namesOf = (r: Pick<LinkedRecord, 'sourceIdentifier' | 'uri' | 'otherIds'>) => [r.sourceIdentifier, ...(r.uri ? [r.uri] : []), ...r.otherIds];

const servedRefs = (svc: Record<string, unknown>): string[] => (Array.isArray(svc.servesDataset) ? svc.servesDataset.filter((x): x is string => typeof x === 'string') : []);

/**
 * The links between the data services and the datasets of a page (GeoDCAT-AP): each service's
 * references resolved to the records of its source they name, and, for each dataset, the
 * services of its source that name it. Resolved records go out under the IRI they are exported
 * under (Hasad's when an earlier record claims theirs).
 */
async function serviceLinks(h: DbHandle, rows: readonly DatasetRow[], base: string): Promise<{ serves: Map<string, string[]>; servedBy: Map<string, ServedBy[]> }> {
  const serves = new Map<string, string[]>();
  const servedBy = new Map<string, ServedBy[]>();
  const services = rows.filter((r) => r.record.dataService !== null && typeof r.record.dataService === 'object');
  const datasets = rows.filter((r) => !services.includes(r));
  // Services on this page: their references, resolved within their source.
  const resolved = new Map<string, LinkedRecord[]>();
  for (const sourceId of new Set(services.map((r) => r.sourceId))) {
    const keys = services.filter((r) => r.sourceId === sourceId).flatMap((r) => servedRefs(r.record.dataService as Record<string, unknown>).flatMap(referenceKeys));
    resolved.set(sourceId, await recordsNamedBy(h, sourceId, keys));
  }
  const found = [...resolved.values()].flat();
  const claimed = await iriClaimedEarlier(h, [...new Set(found.map((r) => r.id))]);
  const iriOf = (r: { id: string; uri: string | null }) => datasetIri(claimed.has(r.id) ? { id: r.id, uri: null } : r, base);
  for (const row of services) {
    const candidates = resolved.get(row.sourceId) ?? [];
    const out = new Set<string>();
    for (const ref of servedRefs(row.record.dataService as Record<string, unknown>)) {
      const keys = new Set(referenceKeys(ref));
      const hits = candidates.filter((c) => namesOf(c).some((n) => keys.has(n)));
      if (hits.length === 0) out.add(ref);
      for (const h of hits) out.add(iriOf(h));
    }
    serves.set(row.id, [...out].sort());
  }
  // Datasets on this page: the services of their source that name them.
  const all = await dataServicesOfSources(h, datasets.map((r) => r.sourceId));
  if (all.length > 0) {
    const serviceClaimed = await iriClaimedEarlier(h, all.map((s) => s.id));
    for (const row of datasets) {
      const names = new Set(namesOf({ sourceIdentifier: row.sourceIdentifier, uri: row.uri, otherIds: Array.isArray(row.record.otherIdentifier) ? row.record.otherIdentifier.map((o) => (o as { notation?: string }).notation).filter((n): n is string => typeof n === 'string') : [] }));
      const list: ServedBy[] = [];
      for (const svc of all) {
        if (svc.sourceId !== row.sourceId || !servedRefs(svc.dataService).some((ref) => referenceKeys(ref).some((k) => names.has(k)))) continue;
        const endpointUrl = Array.isArray(svc.dataService.endpointUrl) ? svc.dataService.endpointUrl.filter((x): x is string => typeof x === 'string') : [];
        list.push({ iri: datasetIri(serviceClaimed.has(svc.id) ? { id: svc.id, uri: null } : svc, base), endpointUrl });
      }
      if (list.length > 0) servedBy.set(row.id, list);
    }
  }
  return { serves, servedBy };
}

/** Logs each dataset exported without its kept description because its bytes could not be read. */
export function logUnreadable(log: { warn(obj: object, msg: string): void }, unreadable: ReadonlyArray<{ id: string; error: string }>): void {
  for (const u of unreadable) log.warn({ dataset: u.id, err: u.error }, 'kept source description unreadable: the dataset was exported from its canonical record');
}

/**
 * The datasets' triples as /catalog and the dataset page serve them: each one's kept source
 * description with Hasad's additions (kept-description.ts). Never two records in one node: a
 * dataset IRI an earlier active record also claims is exported under Hasad's own IRI, the source's
 * in `adms:identifier`. Data services (records with `dataService`) go out as `dcat:DataService`,
 * linked to the datasets of their source they serve. Returns the IRI each record went out under,
 * in the order given, which of them are data services, and the datasets whose kept description
 * could not be read (exported from their canonical record alone; the caller logs them).
 */
export async function exportDatasets(h: DbHandle, rows: readonly DatasetRow[], base: string): Promise<{ iris: string[]; services: Set<string>; quads: Quad[]; unreadable: Array<{ id: string; error: string }> }> {
  const ids = rows.map((r) => r.id);
  // A kept description that cannot be read costs only itself: its dataset goes out from its
  // canonical record (as a dataset of a source that keeps none), and the caller logs it.
  const unreadable: Array<{ id: string; error: string }> = [];
  const [kept, claimed, links] = await Promise.all([sourceDescriptionsOf(h, ids, (id, err) => unreadable.push({ id, error: err.message })), iriClaimedEarlier(h, ids), serviceLinks(h, rows, base)]);
  const iris: string[] = [];
  const services = new Set<string>();
  const quads: Quad[] = [];
  rows.forEach((row, i) => {
    const d = toExportDataset(row);
    const demoted = claimed.has(row.id);
    const serves = links.serves.get(row.id);
    const servedBy = links.servedBy.get(row.id);
    // The original XML (an ISO 19139 record) is served as it was kept; the export links it from the catalogue record.
    const xml = kept.get(row.id)?.format === 'application/xml';
    const exported: ExportDataset = {
      ...d,
      ...(demoted && { uri: null }),
      ...(serves !== undefined && { servesDataset: serves }),
      ...(servedBy !== undefined && { servedBy }),
      ...(xml && { sourceMetadataUrl: `${base}/api/v1/datasets/${row.id}/source` }),
    };
    const iri = datasetIri(exported, base);
    const node = DataFactory.namedNode(iri);
    iris.push(iri);
    if (serves !== undefined) services.add(iri);
    quads.push(...withKeptDescription(datasetQuads(exported, base), node, kept.get(row.id), row.uri ?? undefined, `k${i}_`));
    if (demoted && row.uri) quads.push(...originalIdentifierQuads(node, row.uri));
  });
  return { iris, services, quads: uniqueQuads(quads), unreadable };
}
