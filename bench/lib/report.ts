/** Renders rows as a left-aligned text table with a header rule. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** 12345.6 → "12,346". */
export const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));

/** Seconds with two decimals. */
export const secs = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : (ms / 1000).toFixed(2));

export const mb = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)} MB`);

export const pct = (share: number | undefined) => (share === undefined ? '-' : `${Math.round(share * 100)}%`);
