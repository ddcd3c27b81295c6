import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type Quad } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';

/**
 * DCAT-AP 3.0.1 SHACL validation for tests: `shapes.ttl` holds the mandatory constraints
 * (severity Violation), `shapes_recommended.ttl` the recommended ones (Warning). Uses
 * rdf-validate-shacl, a devDependency: nothing outside tests imports this file.
 */
export interface ShaclResult {
  severity: 'Violation' | 'Warning' | 'Info';
  focusNode: string;
  path: string | null;
  message: string;
  shape: string;
  /** The offending value, when the constraint is about one. */
  value?: { termType: string; value: string };
}

function parseTurtle(text: string, baseIRI?: string): Quad[] {
  return new Parser({ baseIRI }).parse(text);
}

export class DcatApValidator {
  private readonly mandatory: SHACLValidator;
  private readonly recommended: SHACLValidator;

  constructor(shaclDir: string) {
    const load = (f: string) => parseTurtle(readFileSync(join(shaclDir, f), 'utf8'));
    // The constructor copies the shapes into a dataset of its own; an array of quads will do.
    this.mandatory = new SHACLValidator(load('shapes.ttl') as never);
    this.recommended = new SHACLValidator(load('shapes_recommended.ttl') as never);
  }

  /** Validates Turtle (or N-Triples) text against both shape sets. */
  async validate(turtle: string, baseIRI?: string): Promise<ShaclResult[]> {
    const quads = parseTurtle(turtle, baseIRI);
    const out: ShaclResult[] = [];
    for (const v of [this.mandatory, this.recommended]) {
      const report = await v.validate(v.factory.dataset(quads as never) as never);
      for (const r of report.results) {
        out.push({
          severity: (r.severity?.value.split('#')[1] ?? 'Violation') as ShaclResult['severity'],
          focusNode: r.focusNode?.value ?? '',
          path: r.path?.value ?? null,
          message: r.message.map((m) => m.value).join('; '),
          shape: r.sourceConstraintComponent?.value.split('#')[1] ?? '',
          ...(r.value ? { value: { termType: r.value.termType, value: r.value.value } } : {}),
        });
      }
    }
    return out;
  }
}

const DCT_DESCRIPTION = 'http://purl.org/dc/terms/description';
const DCAT_ACCESS_URL = 'http://www.w3.org/ns/dcat#accessURL';
const FOAF_NAME = 'http://xmlns.com/foaf/0.1/name';

/**
 * The mandatory DCAT-AP fields a record's source did not give, as the SHACL paths that will
 * then fail: a description, a distribution's access URL, a publisher's name.
 */
export function sourceOmissions(record: Record<string, unknown>): Set<string> {
  const missing = new Set<string>();
  const nonEmpty = (m: unknown) => m !== null && typeof m === 'object' && Object.values(m).some((v) => typeof v === 'string' && v.trim() !== '');
  if (!nonEmpty(record.description)) missing.add(DCT_DESCRIPTION);
  for (const d of Array.isArray(record.distributions) ? record.distributions : []) if (!(d as { accessUrl?: string }).accessUrl) missing.add(DCAT_ACCESS_URL);
  const publisher = record.publisher as { name?: unknown } | undefined;
  if (publisher && !nonEmpty(publisher.name)) missing.add(FOAF_NAME);
  return missing;
}

/**
 * Splits one dataset's mandatory-shape violations into those its source explains and the
 * others — Hasad's to fix. A source explains a violation by a mandatory field it did not give
 * (see {@link sourceOmissions}), or by a value it gave as text where DCAT-AP wants an IRI (a
 * theme label such as "Economy"): the export keeps the source's value rather than drop or
 * invent one, so that harvesting the export gives back the same record. Given the source's kept
 * description, a value the source itself stated on that property, or a property it repeated,
 * explains the violation too (see {@link sourceStatements}).
 */
export function judgeViolations(
  record: Record<string, unknown>,
  results: ShaclResult[],
  source: Quad[] = [],
): { excused: ShaclResult[]; unexplained: ShaclResult[] } {
  const omitted = sourceOmissions(record);
  const text = JSON.stringify(record);
  const said = sourceStatements(source);
  const violations = results.filter((r) => r.severity === 'Violation');
  const explained = (r: ShaclResult) =>
    (r.shape === 'MinCountConstraintComponent' && r.path !== null && omitted.has(r.path)) ||
    (r.shape === 'NodeKindConstraintComponent' && r.value?.termType === 'Literal' && text.includes(JSON.stringify(r.value.value))) ||
    (r.path !== null && r.value !== undefined && said.values.has(`${r.path} ${r.value.termType === 'BlankNode' ? '_:' : r.value.value}`)) ||
    (r.shape === 'MaxCountConstraintComponent' && r.path !== null && said.repeated.has(r.path));
  return { excused: violations.filter(explained), unexplained: violations.filter((r) => !explained(r)) };
}

/**
 * What the source itself stated, from its kept description (`GET /api/v1/datasets/:id/source`):
 * every `predicate value` pair (blank-node values as `_:`), and the predicates it gave more than
 * one value on one subject. The export carries the source's triples untouched (lossless), so a
 * value the source stated against DCAT-AP's shapes (a `dct:conformsTo` given as text, a
 * `dcat:byteSize` typed `xsd:decimal`, two `locn:geometry`) is the source's to answer for, not Hasad's.
 */
function sourceStatements(source: Quad[]): { values: Set<string>; repeated: Set<string> } {
  const values = new Set<string>();
  const perSubject = new Map<string, number>();
  const repeated = new Set<string>();
  for (const q of source) {
    values.add(`${q.predicate.value} ${q.object.termType === 'BlankNode' ? '_:' : q.object.value}`);
    const key = `${q.subject.termType === 'BlankNode' ? '_:' : ''}${q.subject.value} ${q.predicate.value}`;
    const n = (perSubject.get(key) ?? 0) + 1;
    perSubject.set(key, n);
    if (n > 1) repeated.add(q.predicate.value);
  }
  return { values, repeated };
}

/** Parses a kept source description (N-Triples) for {@link judgeViolations}. */
export function parseSourceDescription(ntriples: string): Quad[] {
  return new Parser({ format: 'N-Triples' }).parse(ntriples);
}

/** "n × path shape" lines, most frequent first, for the printed report. */
export function summarise(results: ShaclResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) {
    const key = `${r.path ?? '(node)'} ${r.shape}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `  ${n} × ${k}`)
    .join('\n');
}
