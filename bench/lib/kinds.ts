import type { SeenSoapRequest } from '@hasad/testkit';

/** Mean and percentiles of a list of durations, ms with one decimal (pages of a loopback service take a few ms). */
export interface Spread {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  const r = (n: number) => Math.round(n * 10) / 10;
  return { count: s.length, mean: r(s.reduce((a, b) => a + b, 0) / s.length), p50: r(at(0.5)), p95: r(at(0.95)), max: r(s[s.length - 1]!) };
}

export const fmtSpread = (d: Spread | undefined) => (d ? `${d.mean} / ${d.p50} / ${d.p95} ms` : '-');

/**
 * Where a sequential SOAP harvest spends its time, seen from the service: each page's **server**
 * time runs from the request's arrival to the answer's last byte handed to the socket; the
 * **Hasad** time between two pages runs from that last byte to the next request's arrival (read
 * the body, parse the XML, map, hand the batch to the loader, checkpoint the page, plus any wait
 * for the loader's back-pressure or the per-host limiter). The fetcher asks for one page at a
 * time, so the two alternate and add up to the fetch span.
 */
export interface SoapTimings {
  pages: number;
  serverMs?: Spread;
  hasadMs?: Spread;
  /** First request in → last answer out, ms. */
  fetchSpanMs: number;
  /** Share of the fetch span the service was working on a page: 1 = server-bound. */
  serverShare: number;
  /** Records / fetch span: what the fetcher alone sustained. */
  fetchRecordsPerSec: number;
}

export function soapTimings(requests: SeenSoapRequest[], records: number): SoapTimings {
  const done = requests.filter((r): r is SeenSoapRequest & { finishedAt: number } => r.finishedAt !== undefined);
  const server = done.map((r) => r.finishedAt - r.receivedAt);
  const between = done.slice(1).map((r, i) => r.receivedAt - done[i]!.finishedAt);
  const span = done.length ? done[done.length - 1]!.finishedAt - done[0]!.receivedAt : 0;
  const serverTotal = server.reduce((a, b) => a + b, 0);
  const serverMs = spread(server);
  const hasadMs = spread(between);
  return {
    pages: requests.length,
    ...(serverMs && { serverMs }),
    ...(hasadMs && { hasadMs }),
    fetchSpanMs: Math.round(span),
    serverShare: span > 0 ? Math.round((serverTotal / span) * 100) / 100 : 0,
    fetchRecordsPerSec: span > 0 ? Math.round(records / (span / 1000)) : 0,
  };
}
