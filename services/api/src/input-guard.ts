import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * One check of every request's input before any route sees it (issue 11): a NUL character in
 * a query parameter, a path parameter or a JSON body string is the client's mistake (PostgreSQL
 * refuses it in text, so it used to surface as a 500), and so is an integer parameter written
 * past what a JavaScript number holds exactly (`page=99999999999999999999` became 1e20 and an
 * SQL error). Both are answered 400 `invalid_parameter` naming the parameter.
 */

/** Strings of a JSON body looked at, at most: a body is bounded by Fastify's bodyLimit anyway. */
const MAX_BODY_STRINGS = 10_000;

function nulIn(where: string, name: string, value: string): void {
  if (value.includes('\u0000')) throw new ApiError(400, 'invalid_parameter', `${where} parameter "${name}" contains a NUL character (\\u0000)`, { where, name });
}

/** Integer parameters, by the route's schema: the query or params schema's `properties[name].type`. */
function integerNames(schema: unknown): Set<string> {
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  const out = new Set<string>();
  if (props === undefined) return out;
  for (const [name, p] of Object.entries(props)) if (p?.type === 'integer' || (Array.isArray(p?.type) && p.type.includes('integer'))) out.add(name);
  return out;
}

/** Integer-valued parameters CKAN's actions read by hand (no schema): paging. */
const CKAN_INTEGERS = new Set(['start', 'rows', 'limit', 'offset', 'page']);

function checkRecord(where: string, values: unknown, integers: Set<string>): void {
  if (values === null || typeof values !== 'object') return;
  for (const [name, v] of Object.entries(values as Record<string, unknown>)) {
    for (const s of Array.isArray(v) ? v : [v]) {
      if (typeof s !== 'string') continue;
      nulIn(where, name, name.includes('\u0000') ? '\u0000' : s);
      const t = s.trim();
      if (integers.has(name) && /^[+-]?\d+$/.test(t) && !Number.isSafeInteger(Number(t))) {
        throw new ApiError(400, 'invalid_parameter', `${where} parameter "${name}" is out of range: ${t.length > 40 ? `${t.slice(0, 40)}…` : t} (at most ${Number.MAX_SAFE_INTEGER})`, { where, name });
      }
    }
  }
}

function checkBody(body: unknown): void {
  let seen = 0;
  const stack: Array<{ path: string; v: unknown }> = [{ path: '', v: body }];
  while (stack.length > 0 && seen < MAX_BODY_STRINGS) {
    const { path, v } = stack.pop() as { path: string; v: unknown };
    if (typeof v === 'string') {
      seen++;
      nulIn('body', path || '(body)', v);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v as Record<string, unknown>)) stack.push({ path: path === '' ? k : `${path}.${k}`, v: c });
    }
  }
}

/** Installs the check (a `preValidation` hook: after parsing, before the schema and the handler). */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req: FastifyRequest) => {
    const schema = req.routeOptions.schema as { querystring?: unknown; params?: unknown } | undefined;
    const ckan = req.url.startsWith('/api/3/') || req.url.startsWith('/api/action/');
    const qInts = integerNames(schema?.querystring);
    if (ckan) for (const n of CKAN_INTEGERS) qInts.add(n);
    checkRecord('query', req.query, qInts);
    checkRecord('path', req.params, integerNames(schema?.params));
    if (req.body !== undefined && typeof req.body === 'object') {
      checkBody(req.body);
      if (ckan) checkRecord('body', req.body, CKAN_INTEGERS);
    }
  });
}
