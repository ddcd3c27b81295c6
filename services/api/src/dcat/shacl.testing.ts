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
        });
      }
    }
    return out;
  }
}
