/** One line of the fault suite's end-of-file table. */
export interface FaultRow {
  case: string;
  expected: number;
  found: number;
  duplicates: number;
  wronglyWithdrawn: number;
  /** Time from the fault to the run's final state, in ms (null when not measured). */
  recoveryMs: number | null;
}

const rows: FaultRow[] = [];

export function recordFault(row: FaultRow): void {
  rows.push(row);
}

/** Prints the rows recorded by this test file as a table (call from afterAll). */
export function printFaultTable(title: string): void {
  if (!rows.length) return;
  const head = ['case', 'expected', 'found', 'duplicates', 'wrongly withdrawn', 'recovery'];
  const body = rows.map((r) => [r.case, String(r.expected), String(r.found), String(r.duplicates), String(r.wronglyWithdrawn), r.recoveryMs === null ? '-' : `${(r.recoveryMs / 1000).toFixed(1)} s`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log([`\n${title}`, line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n'));
}
