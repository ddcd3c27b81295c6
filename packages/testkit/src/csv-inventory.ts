import { datasetTitle } from './catalog-generator.ts';

/**
 * Generates the CSV inventory a French-language ministry exports from a spreadsheet: one dataset
 * a row, semicolon-delimited, Windows-1252, CRLF, French headers, dates as DD/MM/YYYY, keywords
 * and formats as comma-separated cells, and descriptions that need quoting (a `;` inside, doubled
 * quotes on some rows). Shared by the crash tests and the bench.
 */
export interface CsvInventoryOptions {
  /** Number of rows (datasets), numbered 1..rows. */
  rows: number;
  /** Default `;`. */
  delimiter?: ';' | ',';
  /** Default `windows-1252`. */
  encoding?: 'windows-1252' | 'utf-8';
  /** Row numbers left out. */
  omit?: Set<number>;
}

/** The identifier column of row `i`. */
export const csvInventoryIdentifier = (i: number) => `inv-${String(i).padStart(6, '0')}`;

/** The French title of row `i` (the DCAT generator's title: apostrophes, dashes and accents Windows-1252 has). */
export const csvInventoryTitle = (i: number) => datasetTitle(i).fr;

export const CSV_INVENTORY_HEADER = ['Identifiant', 'Titre', 'Description', 'Mots-clés', 'Thème', 'Licence', 'Date de mise à jour', 'Page', 'Lien', 'Format'] as const;

const THEMES = ['Environnement', 'Économie', 'Santé', 'Éducation', 'Transports', 'Société'];
const FREQUENCIES = ['mensuelle', 'trimestrielle', 'annuelle', 'hebdomadaire'];

/** The cells of row `i`, unquoted. */
export function csvInventoryRow(i: number): string[] {
  const title = csvInventoryTitle(i);
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((i % 12) + 1).padStart(2, '0');
  const id = csvInventoryIdentifier(i);
  const quoted = i % 7 === 0 ? ' Fichier dit "historique".' : '';
  return [
    id,
    title,
    `Données « ${title} » ; mise à jour ${FREQUENCIES[i % FREQUENCIES.length]}, œuvre de la direction régionale.${quoted}`,
    `données ouvertes, ${THEMES[i % THEMES.length]!.toLowerCase()}, série ${i % 50}`,
    THEMES[i % THEMES.length]!,
    'Licence ouverte v2.0',
    `${day}/${month}/2024`,
    `https://data.gov.ma/fr/jeux/${id}`,
    `https://data.gov.ma/fichiers/${id}.csv`,
    i % 3 === 0 ? 'CSV, XLSX' : 'CSV',
  ];
}

/** The whole file, encoded. About 330 bytes a row. */
export function generateCsvInventory(opts: CsvInventoryOptions): Buffer {
  const d = opts.delimiter ?? ';';
  const cell = (v: string) => (v.includes(d) || v.includes('"') || v.includes('\n') ? `"${v.replace(/"/g, '""')}"` : v);
  const lines: string[] = [CSV_INVENTORY_HEADER.map(cell).join(d)];
  for (let i = 1; i <= opts.rows; i++) {
    if (opts.omit?.has(i)) continue;
    lines.push(csvInventoryRow(i).map(cell).join(d));
  }
  const text = `${lines.join('\r\n')}\r\n`;
  return (opts.encoding ?? 'windows-1252') === 'utf-8' ? Buffer.from(text, 'utf8') : encodeWindows1252(text);
}

/**
 * The source config that harvests the inventory: an explicit mapping, the ministry as a
 * constant publisher; encoding and delimiter are left to detection, as for a real office's export.
 */
export function csvInventoryConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mapping: {
      identifier: 'Identifiant',
      'title.fr': 'Titre',
      'description.fr': 'Description',
      'keywords.fr': { column: 'Mots-clés', separator: ',' },
      themes: 'Thème',
      license: 'Licence',
      modified: { column: 'Date de mise à jour', dateFormat: 'DD/MM/YYYY' },
      landingPage: 'Page',
      'distributions[].accessUrl': 'Lien',
      'distributions[].format': { column: 'Format', separator: ',' },
    },
    constants: { 'publisher.name.fr': 'Ministère de l’Équipement et de l’Eau' },
    ...overrides,
  };
}

// Windows-1252 differs from ISO-8859-1 only in 0x80-0x9F, where it has typographic characters.
const CP1252_HIGH: Record<number, number> = {
  0x20ac: 0x80, 0x201a: 0x82, 0x0192: 0x83, 0x201e: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87, 0x02c6: 0x88,
  0x2030: 0x89, 0x0160: 0x8a, 0x2039: 0x8b, 0x0152: 0x8c, 0x017d: 0x8e, 0x2018: 0x91, 0x2019: 0x92, 0x201c: 0x93,
  0x201d: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02dc: 0x98, 0x2122: 0x99, 0x0161: 0x9a, 0x203a: 0x9b,
  0x0153: 0x9c, 0x017e: 0x9e, 0x0178: 0x9f,
};

/**
 * Encodes text as Windows-1252 (testkit has no iconv). Throws on a character the code page
 * lacks: a generator bug, better caught here than as a '?' in a test's expectations.
 */
export function encodeWindows1252(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const b = c < 0x80 || (c >= 0xa0 && c <= 0xff) ? c : CP1252_HIGH[c];
    if (b === undefined) throw new Error(`U+${c.toString(16).padStart(4, '0')} (${JSON.stringify(text[i])}) has no Windows-1252 byte`);
    out[i] = b;
  }
  return out;
}
