import { readFileSync } from 'node:fs';

/** Summary of a list of durations, ms. */
export interface Distribution {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export function distribution(values: number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return {
    count: s.length,
    meanMs: Math.round(s.reduce((a, b) => a + b, 0) / s.length),
    p50Ms: Math.round(at(0.5)),
    p95Ms: Math.round(at(0.95)),
    maxMs: Math.round(s[s.length - 1]!),
  };
}

function readJsonLines(file: string): Array<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut by a kill, or not from pino.
    }
  }
  return out;
}

/**
 * Per-run timings the roles log at debug level: the loader's `batch loaded` lines carry the
 * batch transaction's duration (`ms`); the fetcher's `page done` lines are timestamped, so the
 * gaps between them are the time per page (fetch + parse + map + enqueue, including waits for
 * loader capacity). Empty unless the roles ran with LOG_LEVEL=debug.
 */
export function debugTimings(fetcherLog: string, loaderLog: string, runId: string): { loaderBatch?: Distribution; fetcherPageGap?: Distribution } {
  const batches = readJsonLines(loaderLog)
    .filter((l) => l.msg === 'batch loaded' && l.runId === runId && typeof l.ms === 'number')
    .map((l) => l.ms as number);
  const pageTimes = readJsonLines(fetcherLog)
    .filter((l) => l.msg === 'page done' && l.runId === runId && typeof l.time === 'number')
    .map((l) => l.time as number);
  const gaps = pageTimes.slice(1).map((t, i) => t - pageTimes[i]!);
  const loaderBatch = distribution(batches);
  const fetcherPageGap = distribution(gaps);
  return { ...(loaderBatch && { loaderBatch }), ...(fetcherPageGap && { fetcherPageGap }) };
}

/** Lines at warn level or above (pino 40+), for the report. */
export function warnings(file: string, limit = 20): string[] {
  return readJsonLines(file)
    .filter((l) => typeof l.level === 'number' && l.level >= 40)
    .slice(0, limit)
    .map((l) => `${String(l.msg)}${l.err ? `: ${JSON.stringify((l.err as { message?: string }).message ?? l.err)}` : ''}`);
}

/** How many lines a role logged at warn, error and fatal level, and the most frequent messages. */
export interface LogSummary {
  lines: number;
  warn: number;
  error: number;
  fatal: number;
  /** Messages at warn level or above, most frequent first: `[level] msg: err.message` and a count. */
  top: Array<{ message: string; count: number }>;
}

const LEVEL_NAME: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };

export function logSummary(file: string, topN = 8): LogSummary {
  const lines = readJsonLines(file);
  const counts = new Map<string, number>();
  const out: LogSummary = { lines: lines.length, warn: 0, error: 0, fatal: 0, top: [] };
  for (const l of lines) {
    const level = typeof l.level === 'number' ? l.level : 0;
    if (level < 40) continue;
    const name = LEVEL_NAME[Math.min(60, Math.floor(level / 10) * 10)] as 'warn' | 'error' | 'fatal';
    out[name]++;
    const err = l.err as { message?: string } | undefined;
    const key = `[${name}] ${String(l.msg)}${err ? `: ${String(err.message ?? JSON.stringify(err)).slice(0, 160)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  out.top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([message, count]) => ({ message, count }));
  return out;
}
