import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFaultTable, REPORT_ENV, type FaultRow } from './report.ts';

/** Collects the rows every fault test file records and prints one table when the suite ends. */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'hasad-faults-report-'));
  const file = join(dir, 'rows.jsonl');
  process.env[REPORT_ENV] = file;
  return () => {
    const rows: FaultRow[] = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FaultRow)
      : [];
    if (rows.length) console.log(formatFaultTable('fault suite (all cases)', rows));
    rmSync(dir, { recursive: true, force: true });
  };
}
