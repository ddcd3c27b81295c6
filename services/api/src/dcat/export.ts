import type { FastifyRequest } from 'fastify';
import { redactUrl } from '@hasad/core';
import type { DatasetRow } from '@hasad/db';
import type { ExportDataset } from './dcat-graph.ts';
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

