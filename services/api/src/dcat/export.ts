import type { FastifyRequest } from 'fastify';
import { DataFactory, type Quad } from 'n3';
import { redactUrl } from '@hasad/core';
import { iriClaimedEarlier, sourceDescriptionsOf, type Db, type DatasetRow } from '@hasad/db';
import { datasetIri, datasetQuads, type ExportDataset } from './dcat-graph.ts';
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
 * The datasets' triples as /catalog and the dataset page serve them: each one's kept source
 * description with Hasad's additions (kept-description.ts). Never two records in one node: a
 * dataset IRI an earlier active record also claims is exported under Hasad's own IRI, the source's
 * in `adms:identifier`. Returns the IRI each dataset went out under, in the order given.
 */
export async function exportDatasets(db: Db, rows: readonly DatasetRow[], base: string): Promise<{ iris: string[]; quads: Quad[] }> {
  const ids = rows.map((r) => r.id);
  const [kept, claimed] = await Promise.all([sourceDescriptionsOf(db, ids), iriClaimedEarlier(db, ids)]);
  const iris: string[] = [];
  const quads: Quad[] = [];
  rows.forEach((row, i) => {
    const d = toExportDataset(row);
    const demoted = claimed.has(row.id);
    const exported: ExportDataset = demoted ? { ...d, uri: null } : d;
    const iri = datasetIri(exported, base);
    const node = DataFactory.namedNode(iri);
    iris.push(iri);
    quads.push(...withKeptDescription(datasetQuads(exported, base), node, kept.get(row.id), row.uri ?? undefined, `k${i}_`));
    if (demoted && row.uri) quads.push(...originalIdentifierQuads(node, row.uri));
  });
  return { iris, quads: uniqueQuads(quads) };
}
