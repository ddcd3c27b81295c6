import { z } from 'zod';
import { sourceConfigError } from '../../source-config.ts';
import { parseXml } from '../soap/xml.ts';

/** Record formats a CSW source can be harvested in (the GetRecords outputSchema). */
export const CSW_FORMATS = ['auto', 'iso19139', 'dcat', 'dc'] as const;
export type CswFormat = (typeof CSW_FORMATS)[number];

const cswConfigSchema = z.strictObject({
  /** `auto` (default): ISO 19139 when the server offers it, else DCAT, else Dublin Core (`dc`: csw:Record, which every server offers). */
  outputSchema: z.enum(CSW_FORMATS).default('auto'),
  /** How GetRecords is sent; `auto` (default): POST when the server accepts it, else GET. */
  method: z.enum(['auto', 'get', 'post']).default('auto'),
  /** CSW version; `auto` (default): 2.0.2 when offered (every server has it), else 3.0.0. */
  version: z.enum(['auto', '2.0.2', '3.0.0']).default('auto'),
  /** Records per GetRecords page (maxRecords). Servers may answer fewer; paging follows nextRecord. */
  pageSize: z.number().int().min(1).max(1000).default(50),
  /** The Query's typeNames; default `gmd:MD_Metadata` for ISO when offered, else `csw:Record`. */
  typeNames: z.string().regex(/^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/, 'a qualified name such as csw:Record').optional(),
  /** Which records to harvest. `types` and `keywords` are turned into an OGC filter; `cql` and `ogc` are sent as given. */
  filter: z
    .strictObject({
      types: z.array(z.enum(['dataset', 'series', 'service', 'application', 'nonGeographicDataset'])).min(1).optional(),
      keywords: z.array(z.string().trim().min(1)).min(1).optional(),
      cql: z.string().trim().min(1).optional(),
      ogc: z.string().trim().min(1).optional(),
    })
    .optional(),
  /** Largest GetRecords answer read, in bytes (default 50 MB): more records than that per page means pageSize is too big. */
  maxPageBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(50 * 1024 * 1024),
});

export type CswConfig = z.infer<typeof cswConfigSchema>;

/**
 * Validates a CSW source config. `undefined`/`null` mean "all defaults".
 * @throws ConfigError listing every unknown key and bad value at once.
 */
export function parseCswConfig(config: unknown): CswConfig {
  const parsed = cswConfigSchema.safeParse(config ?? {});
  const details: string[] = [];
  if (!parsed.success) {
    throw sourceConfigError('csw', { issues: parsed.error.issues });
  }
  const f = parsed.data.filter;
  const kinds = [f?.cql !== undefined && 'cql', f?.ogc !== undefined && 'ogc', (f?.types !== undefined || f?.keywords !== undefined) && 'types/keywords'].filter(Boolean);
  if (kinds.length > 1) details.push(`filter: give one of cql, ogc or types/keywords, not ${kinds.join(' and ')}`);
  if (f?.ogc !== undefined) {
    try {
      const root = parseXml(f.ogc, 'config filter.ogc', 'OGC Filter').root;
      if (root.name !== 'Filter') details.push(`filter.ogc: the root element is <${root.name}>, not ogc:Filter or fes:Filter`);
    } catch (err) {
      details.push(`filter.ogc: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (details.length > 0) throw sourceConfigError('csw', { details });
  return parsed.data;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The OGC Filter for `types`/`keywords` (Filter Encoding 1.1 for CSW 2.0.2, FES 2.0 for 3.0):
 * the record's type is one of `types` and its subject matches one of `keywords`. The queryables
 * are OGC's core ones (dc:type, dc:subject), which every CSW server must support.
 */
export function filterXml(f: NonNullable<CswConfig['filter']>, version: '2.0.2' | '3.0.0'): string | undefined {
  if (f.ogc !== undefined) return f.ogc;
  const v3 = version === '3.0.0';
  const p = v3 ? 'fes' : 'ogc';
  const prop = (name: string) => (v3 ? `<fes:ValueReference>${name}</fes:ValueReference>` : `<ogc:PropertyName>${name}</ogc:PropertyName>`);
  const eq = (name: string, v: string) => `<${p}:PropertyIsEqualTo>${prop(name)}<${p}:Literal>${esc(v)}</${p}:Literal></${p}:PropertyIsEqualTo>`;
  const or = (parts: string[]) => (parts.length === 1 ? (parts[0] as string) : `<${p}:Or>${parts.join('')}</${p}:Or>`);
  const clauses: string[] = [];
  if (f.types !== undefined) clauses.push(or(f.types.map((t) => eq('dc:type', t))));
  if (f.keywords !== undefined) clauses.push(or(f.keywords.map((k) => eq('dc:subject', k))));
  if (clauses.length === 0) return undefined;
  const body = clauses.length === 1 ? clauses[0] : `<${p}:And>${clauses.join('')}</${p}:And>`;
  const ns = v3 ? 'http://www.opengis.net/fes/2.0' : 'http://www.opengis.net/ogc';
  return `<${p}:Filter xmlns:${p}="${ns}" xmlns:dc="http://purl.org/dc/elements/1.1/">${body}</${p}:Filter>`;
}
