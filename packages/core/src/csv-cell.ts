/**
 * Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage return,
 * let the next character do so once the cell is trimmed). OWASP "CSV Injection".
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Makes a harvested value safe to write as a CSV cell opened by a spreadsheet: a value that
 * starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so that
 * `=HYPERLINK("http://evil","click")` is shown as text instead of run as a formula. Other
 * values are returned unchanged. Quoting and escaping of the cell itself is the CSV writer's job.
 *
 * Harvested records are stored as published; this is applied when exporting to CSV.
 */
export function neutraliseCsvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}
