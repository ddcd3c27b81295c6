import type { RecordProblem } from '@hasad/core';
import type { SoapConfig } from './config.ts';
import { compileMapping, type CompiledField } from './map.ts';

/**
 * The field mapping a SOAP source uses, as one `soap_mapping` info note: the record element,
 * each canonical field with the path it is read from (separator, date format), the repeating
 * distribution element the distribution fields were split at, and the constants. Preview shows
 * it, so an institution sees how its service is read before the first harvest.
 */
export function describeSoapMapping(config: SoapConfig): RecordProblem[] {
  const m = compileMapping(config);
  const field = (f: CompiledField, name: string) => {
    const spec = config.fields[f.target.key];
    const extras = [f.separator !== undefined ? `split on ${JSON.stringify(f.separator)}` : undefined, spec?.dateFormat !== undefined && spec.dateFormat !== 'iso' ? spec.dateFormat : undefined].filter(
      (x): x is string => x !== undefined,
    );
    return `${name} ← ${f.path.source || '(the element itself)'}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
  };
  const parts = [`record element ${config.recordPath}`, field(m.identifier, 'identifier'), ...m.record.map((f) => field(f, f.target.key))];
  if (m.distribution !== undefined) {
    const where = m.distribution.path === undefined ? 'the record element is the distribution' : `one per ${m.distribution.path.source}`;
    // Distribution paths are read from the distribution element: shown relative to it.
    const parent = m.distribution.path === undefined ? '' : `${m.distribution.path.source}/`;
    const relative = (f: CompiledField): CompiledField => ({ ...f, path: { ...f.path, source: f.path.source.startsWith(parent) ? f.path.source.slice(parent.length) : f.path.source } });
    parts.push(`distributions (${where}): ${m.distribution.fields.map((f) => field(relative(f), f.target.base)).join(', ')}`);
  }
  const constants = Object.entries(config.constants).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  if (constants.length > 0) parts.push(`constants: ${constants.join(', ')}`);
  return [{ severity: 'info', code: 'soap_mapping', message: `field mapping: ${parts.join('; ')}` }];
}
