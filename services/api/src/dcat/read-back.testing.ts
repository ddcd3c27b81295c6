import { Parser } from 'n3';
import type { CanonicalDataset } from '@hasad/core';
import { mapPage, parseRdfString } from '@hasad/sources';
import { NS } from './dcat-graph.ts';

/** Links of a page's hydra:PartialCollectionView. */
export interface HydraView {
  first?: string;
  last?: string;
  next?: string;
  previous?: string;
}

/**
 * Reads an RDF answer of the API the way Hasad harvests a DCAT source (for tests): the
 * canonical records its DCAT adapter maps (without the kept description), and (Turtle, N-Triples) the page's Hydra links.
 */
export async function readRecords(body: string, url: string, contentType: string): Promise<{ records: CanonicalDataset[]; problems: unknown[]; view: HydraView }> {
  const { graph } = await parseRdfString(body, { url, contentType });
  const records: CanonicalDataset[] = [];
  const problems: unknown[] = [];
  for (const batch of mapPage(graph, 100_000)) {
    // The canonical records: the description the adapter keeps of each is stored beside the record, not in it.
    records.push(...batch.records.map(({ sourceDescription: _kept, ...r }) => r));
    problems.push(...batch.problems);
  }
  const view: HydraView = {};
  if (/turtle|n-triples/.test(contentType)) {
    const quads = new Parser({ baseIRI: url }).parse(body);
    const views = new Set(quads.filter((q) => q.predicate.value === `${NS.rdf}type` && q.object.value === `${NS.hydra}PartialCollectionView`).map((q) => q.subject.value));
    for (const q of quads) {
      if (!views.has(q.subject.value) || !q.predicate.value.startsWith(NS.hydra)) continue;
      const key = q.predicate.value.slice(NS.hydra.length);
      if (key === 'first' || key === 'last' || key === 'next' || key === 'previous') view[key] = q.object.value;
    }
  }
  return { records, problems, view };
}

export function findNextPageForTest(view: HydraView): string | undefined {
  return view.next;
}
