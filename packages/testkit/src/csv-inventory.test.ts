import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { CSV_INVENTORY_HEADER, csvInventoryRow, encodeWindows1252, generateCsvInventory } from './csv-inventory.ts';

describe('CSV inventory generator', () => {
  it('encodes Windows-1252 byte for byte as iconv-lite does, and refuses what the code page lacks', () => {
    const text = 'Qualité de l’eau — « Fès-Meknès » n° 3 ; œuvre … 5 € Š Ÿ ™';
    expect(encodeWindows1252(text)).toEqual(iconv.encode(text, 'windows-1252'));
    expect(() => encodeWindows1252('جودة')).toThrow(/U\+062c/);
  });

  it('writes a semicolon, CRLF file whose rows decode back to their cells', () => {
    const body = generateCsvInventory({ rows: 30 });
    const lines = iconv.decode(body, 'windows-1252').split('\r\n');
    expect(lines[0]).toBe(CSV_INVENTORY_HEADER.join(';'));
    expect(lines).toHaveLength(32); // header, 30 rows, the empty string after the last CRLF
    // Row 7: the description holds a ';' and doubled quotes, so it is quoted.
    const row7 = csvInventoryRow(7);
    expect(lines[7]).toBe([row7[0], row7[1], `"${row7[2]!.replace(/"/g, '""')}"`, ...row7.slice(3)].join(';'));
  });
});
