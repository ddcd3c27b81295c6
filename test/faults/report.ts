import { appendFileSync } from 'node:fs';

/** One line of the fault suite's table. */
export interface FaultRow {
  case: string;
  expected: number;
  found: number;
  duplicates: number;
  wronglyWithdrawn: number;
  /** Time from the fault to the run's final state, in ms (null when not measured). */
  recoveryMs: number | null;
}

/** Set by global-setup.ts: where every test file appends its rows, for one table at the end of the suite. */
export const REPORT_ENV = 'HASAD_FAULTS_REPORT';

const rows: FaultRow[] = [];

export function recordFault(row: FaultRow): void {
  rows.push(row);
  const file = process.env[REPORT_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

export function formatFaultTable(title: string, list: FaultRow[]): string {
  const head = ['case', 'datasets expected', 'found', 'duplicates', 'wrongly withdrawn', 'recovery time'];
  const body = list.map((r) => [r.case, String(r.expected), String(r.found), String(r.duplicates), String(r.wronglyWithdrawn), r.recoveryMs === null ? '-' : `${(r.recoveryMs / 1000).toFixed(1)} s`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [`\n${title}`, line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Prints this file's rows (call from afterAll); the suite's global teardown prints them all together once more. */
export function printFaultTable(title: string): void {
  if (rows.length) console.log(formatFaultTable(title, rows));
}
