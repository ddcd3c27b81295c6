import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hasad/core';
import { DEFAULT_HEADERS, compileMapping, hashIdentifier, inferDateOrders, mapRow, normaliseHeader, recogniseHeader } from './map.ts';
import type { CompiledMapping, RowResult } from './map.ts';
import { parseCsvConfig, parseDate, parseInterval, targetName } from './config.ts';

const name = (h: string) => {
  const t = recogniseHeader(h);
  return t === undefined ? undefined : targetName(t);
};

/** Maps rows (cells given as arrays, line numbers from 2) under a config. */
function mapAll(config: unknown, header: string[], rows: string[][]): { mapping: CompiledMapping; results: RowResult[] } {
  const mapping = compileMapping(header, parseCsvConfig(config));
  return { mapping, results: rows.map((cells, i) => mapRow({ cells, line: i + 2 }, mapping)) };
}

describe('default header recognition', () => {
  it.each([
    ['titre', 'title'],
    ['Title', 'title'],
    ['NOM', 'title'],
    ['العنوان', 'title'],
    ['Description', 'description'],
    ['الوصف', 'description'],
    ['Mots-clés', 'keywords'],
    ['mots cles', 'keywords'],
    ['MOTS_CLES', 'keywords'],
    ['keywords', 'keywords'],
    ['Tags', 'keywords'],
    ['الكلمات المفتاحية', 'keywords'],
    ['Licence', 'license'],
    ['license', 'license'],
    ['الترخيص', 'license'],
    ['URL', 'landingPage'],
    ['lien', 'landingPage'],
    ['landingPage', 'landingPage'],
    ['الرابط', 'landingPage'],
    ['format', 'distributions[].format'],
    ['الصيغة', 'distributions[].format'],
    ['Date de mise à jour', 'modified'],
    ['date de mise a jour', 'modified'],
    ['modified', 'modified'],
    ['Dernière modification', 'modified'],
    ['تاريخ التحديث', 'modified'],
    ['Date de publication', 'issued'],
    ['issued', 'issued'],
    ['created', 'issued'],
    ['Identifiant', 'identifier'],
    ['id', 'identifier'],
    ['identifier', 'identifier'],
    ['المعرف', 'identifier'],
    ['المعرِّف', 'identifier'],
    ['Producteur', 'publisher.name'],
    ['publisher', 'publisher.name'],
    ['Organisation', 'publisher.name'],
    ['الناشر', 'publisher.name'],
    ['Thème', 'themes'],
    ['theme', 'themes'],
    ['category', 'themes'],
    ['contact', 'contactPoint.email'],
    ['E-mail', 'contactPoint.email'],
    ['Courriel', 'contactPoint.email'],
    ['Couverture géographique', 'spatial'],
    ['spatial', 'spatial'],
    ['Fréquence', 'accrualPeriodicity'],
    ['frequency', 'accrualPeriodicity'],
    ['accrualPeriodicity', 'accrualPeriodicity'],
  ])('%j → %s', (header, field) => {
    expect(name(header)).toBe(field);
  });

  it('reads a language from the header name', () => {
    expect(name('titre_fr')).toBe('title.fr');
    expect(name('Title (AR)')).toBe('title.ar');
    expect(name('العنوان بالعربية')).toBe('title.ar');
    expect(name('Description en arabe')).toBe('description.ar');
    expect(name('mots-clés FR')).toBe('keywords.fr');
    // Only text fields take a language; "url_fr" is not a landing page in some language.
    expect(name('url_fr')).toBeUndefined();
    expect(name('code_ar')).toBeUndefined();
  });

  it('normalises case, accents, Arabic marks and punctuation alike', () => {
    expect(normaliseHeader(' Mots-Clés ')).toBe(normaliseHeader('motscles'));
    expect(normaliseHeader('تاريخ آخر تحديث')).toBe(normaliseHeader('تاريخ اخر تحديث'));
    expect(normaliseHeader('المعرّف')).toBe(normaliseHeader('المعرف'));
  });

  it('has no header name that stands for two fields', () => {
    const seen = new Map<string, string>();
    for (const [field, names] of Object.entries(DEFAULT_HEADERS)) {
      for (const n of names) {
        const k = normaliseHeader(n);
        expect([n, seen.get(k) ?? field]).toEqual([n, field]);
        seen.set(k, field);
      }
    }
  });

  it('reports which columns it read and ignored, keeps the first of two columns for one field', () => {
    const { mapping } = mapAll({}, ['Identifiant', 'Titre', 'Intitulé', 'mots-clés', 'siret', ''], []);
    const info = mapping.problems.find((p) => p.code === 'csv_mapping');
    expect(info?.severity).toBe('info');
    expect(info?.message).toContain('columns read by default header recognition: "Identifiant" → identifier, "Titre" → title, "mots-clés" → keywords (split on "," ";")');
    expect(info?.message).toContain('ignored: "Intitulé", "siret", column 6 (no name)');
    // Both French: one language, one value; the first is kept.
    expect(info?.message).toContain('"Intitulé" also reads as title, already read from "Titre"; ignored');
    expect(mapping.problems.some((p) => p.severity === 'warning')).toBe(false);
  });

  it('two columns of one multilingual field both feed it, each in its header\'s language; a row with only the Arabic title is a dataset', () => {
    const header = ['identifiant', 'titre', 'العنوان', 'description', 'الوصف'];
    const { mapping, results } = mapAll({}, header, [
      ['d1', 'Qualité de l’eau', 'جودة المياه', 'Mesures mensuelles', 'قياسات شهرية'],
      ['d2', '', 'السدود', '', 'حقينة السدود'],
    ]);
    expect(results[0]?.record?.title).toEqual({ fr: 'Qualité de l’eau', ar: 'جودة المياه' });
    expect(results[0]?.record?.description).toEqual({ '': 'Mesures mensuelles', ar: 'قياسات شهرية' });
    expect(results[1]?.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(results[1]?.record?.title).toEqual({ ar: 'السدود' });
    const info = mapping.problems.find((p) => p.code === 'csv_mapping')?.message ?? '';
    expect(info).toContain('"titre" → title.fr, "العنوان" → title.ar');
    expect(info).toContain('"titre" and "العنوان" both read as title: each in its header\'s language (fr, ar)');
    // With a default language, the column whose header does not tell keeps it.
    const fr = mapAll({ defaultLanguage: 'fr' }, ['id', 'description', 'الوصف', 'titre'], [['1', 'Débits', 'الصبيب', 'Débits']]);
    expect(fr.results[0]?.record?.description).toEqual({ fr: 'Débits', ar: 'الصبيب' });
  });

  it('tags Arabic text in a column whose header does not tell its language as ar, unless an Arabic column gave it', () => {
    const { results } = mapAll({}, ['titre', 'description'], [['Eau', 'تحاليل شهرية'], ['Sols', 'Analyses des sols'], ['Air', 'جودة الهواء في «Casablanca»']]);
    expect(results.map((r) => r.record?.description)).toEqual([{ ar: 'تحاليل شهرية' }, { '': 'Analyses des sols' }, { '': 'جودة الهواء في «Casablanca»' }]);
    const both = mapAll({ mapping: { title: 'titre', 'description.ar': 'الوصف', description: 'description' } }, ['titre', 'الوصف', 'description'], [['Eau', 'وصف عربي', 'نص آخر']]);
    expect(both.results[0]?.record?.description).toEqual({ ar: 'وصف عربي', '': 'نص آخر' });
  });

  it('warns when no column is a title, and then every row is an error', () => {
    const { mapping, results } = mapAll({}, ['code', 'libelle_court'], [['1', 'Eau']]);
    expect(mapping.problems).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'csv_no_title_column' }));
    expect(results[0]?.record).toBeUndefined();
    expect(results[0]?.problems).toEqual([expect.objectContaining({ severity: 'error', code: 'missing_title' })]);
  });

  it('maps a French row, splitting keywords on "," and ";"', () => {
    const { results } = mapAll(
      {},
      ['identifiant', 'titre', 'description', 'mots-clés', 'date de mise à jour', 'licence', 'url', 'format', 'producteur', 'couverture géographique'],
      [['eau-01', "Qualité de l'eau", 'Analyses', 'eau, assainissement; santé', '2024-03-01', 'Licence ouverte', 'https://data.gov.ma/eau', 'CSV', 'Ministère', 'Rabat, Salé']],
    );
    expect(results[0]?.problems).toEqual([]);
    expect(results[0]?.record).toEqual({
      identifier: 'eau-01',
      title: { '': "Qualité de l'eau" },
      description: { '': 'Analyses' },
      keywords: { '': ['eau', 'assainissement', 'santé'] },
      themes: [],
      spatial: ['Rabat, Salé'],
      temporal: [],
      language: [],
      modified: '2024-03-01',
      license: 'Licence ouverte',
      landingPage: 'https://data.gov.ma/eau',
      publisher: { name: { '': 'Ministère' } },
      distributions: [{ format: 'CSV' }],
    });
  });

  it('tags unsuffixed text columns with defaultLanguage', () => {
    const { results } = mapAll({ defaultLanguage: 'fr' }, ['titre', 'titre_ar'], [['Eau', 'الماء']]);
    expect(results[0]?.record?.title).toEqual({ fr: 'Eau', ar: 'الماء' });
  });
});

describe('explicit mapping', () => {
  const config = {
    mapping: {
      identifier: 'id',
      'title.fr': 'titre',
      'title.ar': 'العنوان',
      'description.fr': 'description',
      'keywords.fr': { column: 'mots-clés', separator: ',' },
      'keywords.ar': { column: 'الكلمات المفتاحية', separator: '،' },
      modified: { column: 'date de mise à jour', dateFormat: 'DD/MM/YYYY' },
      issued: { column: 'publié', dateFormat: 'MM/DD/YYYY' },
      license: 'licence',
      landingPage: 'url',
      'distributions[].accessUrl': 'lien',
      'distributions[].format': 'format',
    },
    constants: { 'publisher.name.fr': 'Ministère de l’Équipement et de l’Eau', 'publisher.name.ar': 'وزارة التجهيز والماء', license: 'Licence ouverte' },
  };
  const header = ['id', 'titre', 'العنوان', 'description', 'mots-clés', 'الكلمات المفتاحية', 'date de mise à jour', 'publié', 'licence', 'url', 'lien', 'format', 'commentaire'];

  it('maps per-language columns, multi-value cells, dates, constants and one distribution', () => {
    const { mapping, results } = mapAll(config, header, [
      ['eau-1', "Qualité de l'eau", 'جودة المياه', 'Analyses mensuelles', 'eau, assainissement , ,eau', 'ماء، تطهير', '28/05/2019', '12/31/2020', '', 'https://data.gov.ma/d/eau-1', 'https://data.gov.ma/f/eau-1.csv', 'CSV', 'note interne'],
    ]);
    expect(mapping.problems[0]?.message).toContain('ignored: "commentaire"');
    expect(mapping.problems[0]?.message).toContain('"date de mise à jour" → modified (DD/MM/YYYY)');
    expect(results[0]?.problems).toEqual([]);
    expect(results[0]?.record).toEqual({
      identifier: 'eau-1',
      title: { fr: "Qualité de l'eau", ar: 'جودة المياه' },
      description: { fr: 'Analyses mensuelles' },
      keywords: { fr: ['eau', 'assainissement'], ar: ['ماء', 'تطهير'] },
      themes: [],
      spatial: [],
      temporal: [],
      language: [],
      modified: '2019-05-28',
      issued: '2020-12-31',
      // The licence cell is empty: the constant fills it.
      license: 'Licence ouverte',
      landingPage: 'https://data.gov.ma/d/eau-1',
      publisher: { name: { fr: 'Ministère de l’Équipement et de l’Eau', ar: 'وزارة التجهيز والماء' } },
      distributions: [{ accessUrl: 'https://data.gov.ma/f/eau-1.csv', format: 'CSV' }],
    });
  });

  it('lets a non-empty cell win over the constant', () => {
    const { results } = mapAll(config, header, [['x', 'Titre', '', '', '', '', '', '', 'CC-BY-4.0', '', '', '', '']]);
    expect(results[0]?.record?.license).toBe('CC-BY-4.0');
  });

  it('keeps formula-like values as data', () => {
    const { results } = mapAll({ mapping: { 'title.fr': 'titre', description: 'd', 'contactPoint.phone': 'tel' } }, ['titre', 'd', 'tel'], [['=HYPERLINK("http://evil","x")', '@SUM(A1:A2)', '+212 5 37 00 00 00']]);
    expect(results[0]?.record).toMatchObject({
      title: { fr: '=HYPERLINK("http://evil","x")' },
      description: { '': '@SUM(A1:A2)' },
      contactPoint: { phone: '+212 5 37 00 00 00' },
    });
  });

  it('gives one distribution per format when the format cell lists several', () => {
    const { results } = mapAll(
      { mapping: { title: 't', 'distributions[].format': { column: 'f', separator: ',' }, 'distributions[].accessUrl': 'u' } },
      ['t', 'f', 'u'],
      [['Eau', 'CSV, XLSX', 'https://x.ma/eau']],
    );
    expect(results[0]?.record?.distributions).toEqual([
      { format: 'CSV', accessUrl: 'https://x.ma/eau' },
      { format: 'XLSX', accessUrl: 'https://x.ma/eau' },
    ]);
  });

  it('matches mapped columns ignoring case and accents when there is no exact match', () => {
    const { results } = mapAll({ mapping: { title: 'Intitulé du jeu' } }, ['INTITULE DU JEU '], [['Eau']]);
    expect(results[0]?.record?.title).toEqual({ '': 'Eau' });
  });

  it('fails when the file lacks the mapped identifier or every mapped title column', () => {
    expect(() => compileMapping(['titre'], parseCsvConfig({ mapping: { identifier: 'id', title: 'titre' } }))).toThrow(/lacks the column\(s\) its mapping needs: "id" for identifier/);
    expect(() => compileMapping(['id', 'name'], parseCsvConfig({ mapping: { identifier: 'id', 'title.fr': 'titre', 'title.ar': 'العنوان' } }))).toThrow(ConfigError);
  });

  it('warns about a missing optional column and goes on', () => {
    const { mapping, results } = mapAll({ mapping: { title: 'titre', license: 'licence' } }, ['titre'], [['Eau']]);
    expect(mapping.problems).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'missing_column', field: 'license' }));
    expect(results[0]?.record?.title).toEqual({ '': 'Eau' });
  });
});

describe('dates', () => {
  it.each([
    ['2024-03-01', undefined, '2024-03-01'],
    ['2024', undefined, '2024'],
    ['2024-03', undefined, '2024-03'],
    ['2011-11-19T12:00:00Z', undefined, '2011-11-19T12:00:00Z'],
    ['2019-05-28 10:15:00', undefined, '2019-05-28T10:15:00'],
    ['2019-05-28T10:15:00.5+01:00', undefined, '2019-05-28T10:15:00.5+01:00'],
    ['28/05/2019', 'DD/MM/YYYY', '2019-05-28'],
    ['1/2/2024', 'DD/MM/YYYY', '2024-02-01'],
    ['28-05-2019', 'DD-MM-YYYY', '2019-05-28'],
    ['05/28/2019', 'MM/DD/YYYY', '2019-05-28'],
    ['28/05/2019 14:30', 'DD/MM/YYYY', '2019-05-28T14:30:00'],
    ['2024-02-29', 'YYYY-MM-DD', '2024-02-29'],
  ] as const)('%s (%s) → %s', (value, format, iso) => {
    expect(parseDate(value, format)).toBe(iso);
  });

  it.each([
    ['28/05/2019', undefined],
    ['31/02/2024', 'DD/MM/YYYY'],
    ['2023-02-29', undefined],
    ['2024-13-01', undefined],
    ['05/28/2019', 'DD/MM/YYYY'],
    ['mai 2019', undefined],
    ['2024', 'YYYY-MM-DD'],
  ] as const)('refuses %s (%s)', (value, format) => {
    expect(parseDate(value, format)).toBeUndefined();
  });

  it('reads temporal intervals', () => {
    expect(parseInterval('2009-09-01T12:00:00Z/2010-05-31T12:00:00Z')).toEqual({ start: '2009-09-01T12:00:00Z', end: '2010-05-31T12:00:00Z' });
    expect(parseInterval('2019/..')).toEqual({ start: '2019' });
    expect(parseInterval('2019')).toEqual({ start: '2019', end: '2019' });
    expect(parseInterval('01-01-2019/31-12-2019', 'DD-MM-YYYY')).toEqual({ start: '2019-01-01', end: '2019-12-31' });
    expect(parseInterval('hier/demain')).toBeUndefined();
  });

  it('drops a bad date with a warning naming line, field and value, and keeps the row', () => {
    const { results } = mapAll({ mapping: { identifier: 'id', title: 't', modified: 'm', issued: { column: 'i', dateFormat: 'DD/MM/YYYY' } } }, ['id', 't', 'm', 'i'], [['a', 'Eau', '28/05/2019', '31/02/2024']]);
    const r = results[0] as RowResult;
    expect(r.record?.modified).toBeUndefined();
    expect(r.record?.issued).toBeUndefined();
    expect(r.problems).toEqual([
      {
        severity: 'warning',
        code: 'invalid_date',
        field: 'modified',
        identifier: 'a',
        message: 'line 2: modified "28/05/2019" is not an ISO 8601 date; dropped; set "dateFormat" (e.g. "DD/MM/YYYY") on its column in the source config to read it',
      },
      { severity: 'warning', code: 'invalid_date', field: 'issued', identifier: 'a', message: 'line 2: issued "31/02/2024" is not a valid date in DD/MM/YYYY; dropped' },
    ]);
  });

  /** As the CSV client does: the first rows decide each date column's order, then every row is mapped. */
  function mapInferred(config: unknown, header: string[], rows: string[][]) {
    const mapping = compileMapping(header, parseCsvConfig(config));
    const csvRows = rows.map((cells, i) => ({ cells, line: i + 2 }));
    const notes = inferDateOrders(mapping, csvRows, parseCsvConfig(config).defaultLanguage);
    return { notes, results: csvRows.map((r) => mapRow(r, mapping)) };
  }

  it('infers day first from a value that proves it (13/02/2026), says so, and still reads ISO dates in the column', () => {
    const { notes, results } = mapInferred({}, ['titre', 'date de mise à jour'], [['Eau', '01/02/2026'], ['Sols', '13/02/2026'], ['Air', '2026-03-04']]);
    expect(results.map((r) => r.record?.modified)).toEqual(['2026-02-01', '2026-02-13', '2026-03-04']);
    expect(notes).toEqual(['dates in "date de mise à jour" read day first (DD/MM/YYYY): "13/02/2026" on line 3 shows it; a "dateFormat" on the column overrides it']);
  });

  it('infers month first from 02/13/2026, even under a French header', () => {
    const { notes, results } = mapInferred({}, ['titre', 'date de mise à jour'], [['Eau', '02/01/2026'], ['Sols', '02/13/2026']]);
    expect(results.map((r) => r.record?.modified)).toEqual(['2026-02-01', '2026-02-13']);
    expect(notes[0]).toContain('read month first (MM/DD/YYYY): "02/13/2026" on line 3 shows it');
  });

  it('reads an ambiguous column in its header language\'s order: French and Arabic day first, English month first', () => {
    const fr = mapInferred({}, ['titre', 'date de mise à jour'], [['Eau', '01/02/2026']]);
    expect(fr.results[0]?.record?.modified).toBe('2026-02-01');
    expect(fr.notes[0]).toBe('dates in "date de mise à jour" read day first (DD/MM/YYYY): every value could be either; the header is French; a "dateFormat" on the column overrides it');
    const ar = mapInferred({}, ['العنوان', 'تاريخ التحديث'], [['الماء', '01-02-2026']]);
    expect(ar.results[0]?.record?.modified).toBe('2026-02-01');
    expect(ar.notes[0]).toContain('read day first (DD-MM-YYYY): every value could be either; the header is Arabic');
    const en = mapInferred({}, ['title', 'modified'], [['Water', '01/02/2026']]);
    expect(en.results[0]?.record?.modified).toBe('2026-01-02');
    expect(en.notes[0]).toContain('read month first (MM/DD/YYYY): every value could be either; the header is English');
  });

  it('leaves a column that proves both orders alone, asking for dateFormat; an explicit dateFormat wins over inference', () => {
    const both = mapInferred({}, ['titre', 'date de mise à jour'], [['Eau', '13/02/2026'], ['Sols', '02/13/2026']]);
    expect(both.results.map((r) => r.record?.modified)).toEqual([undefined, undefined]);
    expect(both.notes[0]).toBe('dates in "date de mise à jour" are written both day first ("13/02/2026", line 2) and month first ("02/13/2026", line 3); set "dateFormat" on the column to read them');
    const explicit = mapInferred({ dateFormat: 'MM/DD/YYYY' }, ['titre', 'date de mise à jour'], [['Eau', '01/02/2026'], ['Sols', '01/13/2026']]);
    expect(explicit.notes).toEqual([]);
    expect(explicit.results.map((r) => r.record?.modified)).toEqual(['2026-01-02', '2026-01-13']);
  });

  it('applies the config-wide dateFormat to date columns', () => {
    const { results } = mapAll({ dateFormat: 'DD/MM/YYYY' }, ['titre', 'date de mise à jour'], [['Eau', '28/05/2019']]);
    expect(results[0]?.record?.modified).toBe('2019-05-28');
  });
});

describe('identifiers and bad rows', () => {
  it('hashes title and URL when there is no identifier column, stably', () => {
    const { results } = mapAll({}, ['titre', 'url'], [
      ['Eau', 'https://x.ma/eau'],
      ['Eau', 'https://x.ma/eau'],
      ['Air', 'https://x.ma/air'],
    ]);
    const ids = results.map((r) => r.identifier);
    expect(ids[0]).toMatch(/^csv-[0-9a-f]{40}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(results.every((r) => r.hashed)).toBe(true);
    expect(hashIdentifier(results[0]?.record as never)).toBe(ids[0]);
    // Row-level problems do not repeat the hash warning: that is one page-level warning (client.ts).
    expect(results.flatMap((r) => r.problems)).toEqual([]);
  });

  it('hashes only the rows whose identifier cell is empty', () => {
    const { results } = mapAll({}, ['id', 'titre'], [['', 'Eau'], ['b', 'Air']]);
    expect(results.map((r) => r.hashed)).toEqual([true, false]);
    expect(results[1]?.identifier).toBe('b');
  });

  it('skips a row without a title with an error, keeping its identifier for the invalid list', () => {
    const { results } = mapAll({}, ['id', 'titre', 'description'], [['x-9', '  ', 'orpheline']]);
    expect(results[0]).toEqual({
      identifier: 'x-9',
      hashed: false,
      problems: [{ severity: 'error', code: 'missing_title', field: 'title', identifier: 'x-9', message: 'line 2: the row has no title; row skipped' }],
    });
  });

  it('skips a row with a wrong number of fields, but tolerates empty trailing cells', () => {
    const { results } = mapAll({}, ['id', 'titre', 'url'], [
      ['a', 'Eau'],
      ['b', 'Air', 'https://x.ma/air', 'extra'],
      ['c', 'Sol', 'https://x.ma/sol', '', ''],
    ]);
    expect(results[0]?.problems).toEqual([expect.objectContaining({ severity: 'error', code: 'invalid_row', identifier: 'a', message: expect.stringContaining('line 2: the row has 2 field(s), the header has 3') })]);
    expect(results[1]?.problems).toEqual([expect.objectContaining({ severity: 'error', code: 'invalid_row', message: expect.stringContaining('has 4 fields') })]);
    expect(results[2]?.record?.identifier).toBe('c');
  });

  it('drops values that do not fit their field with a warning', () => {
    const { results } = mapAll(
      { mapping: { title: 't', landingPage: 'u', 'contactPoint.email': 'e', 'distributions[].byteSize': 's' } },
      ['t', 'u', 'e', 's'],
      [['Eau', 'www.x.ma/eau', 'mailto:contact@x.ma', '12 Mo']],
    );
    expect(results[0]?.record).toMatchObject({ contactPoint: { email: 'contact@x.ma' }, distributions: [] });
    expect(results[0]?.record?.landingPage).toBeUndefined();
    expect(results[0]?.problems.map((p) => p.code)).toEqual(['invalid_url', 'invalid_number']);
  });

  it('unquotes a quoted cell the writer padded with spaces, keeps quotes that are data', () => {
    const { results } = mapAll({}, ['titre', 'description'], [[' "Eau; potable" ', '"Les Misérables"']]);
    expect(results[0]?.record?.title).toEqual({ '': 'Eau; potable' });
    expect(results[0]?.record?.description).toEqual({ '': '"Les Misérables"' });
  });
});

describe('config validation', () => {
  it('names every unknown key, unknown field and bad value at once', () => {
    let err: unknown;
    try {
      parseCsvConfig({ mapping: { titel: 'x', title: { column: 't', sep: ',' }, 'license.fr': 'l' }, encodage: 'utf8', delimiter: ':', extra: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('unknown key(s): encodage, extra');
    expect(msg).toContain('unknown key(s): mapping.title.sep');
    expect(msg).toContain('delimiter');
  });

  it('refuses unknown fields, dateFormat on a non-date field, bad constants and conflicting targets', () => {
    expect(() => parseCsvConfig({ mapping: { titel: 'x', 'license.fr': 'l' } })).toThrow(/unknown field "titel".*unknown field "license.fr"/);
    expect(() => parseCsvConfig({ mapping: { title: { column: 't', dateFormat: 'DD/MM/YYYY' } } })).toThrow(/dateFormat applies to date fields only/);
    expect(() => parseCsvConfig({ mapping: { title: 't' }, constants: { landingPage: 'www.x.ma', modified: '28/05/2019' } })).toThrow(/landingPage: "www.x.ma" is not an absolute URL.*modified: "28\/05\/2019" is not an ISO 8601 date/);
    expect(() => parseCsvConfig({ defaultLanguage: 'fr', mapping: { title: 't', 'title.fr': 'titre' } })).toThrow(/both feed title.fr/);
    expect(() => parseCsvConfig({ mapping: { description: 'd' } })).toThrow(/no column feeds title/);
    expect(() => parseCsvConfig({ encoding: 'klingon' })).toThrow(/encoding: unknown encoding/);
    expect(() => parseCsvConfig({ mapping: {} })).toThrow(/mapping: is empty/);
  });

  it('accepts the documented example config as written', () => {
    const example = {
      mapping: {
        identifier: 'id',
        'title.fr': 'titre',
        'title.ar': 'العنوان',
        'description.fr': 'description',
        'keywords.fr': { column: 'mots-clés', separator: ',' },
        modified: { column: 'date de mise à jour', dateFormat: 'DD/MM/YYYY' },
        license: 'licence',
        landingPage: 'url',
        'distributions[].accessUrl': 'lien',
        'distributions[].format': 'format',
      },
      constants: { 'publisher.name.fr': "Ministère de l'Équipement et de l'Eau" },
      encoding: 'windows-1252',
      delimiter: ';',
    };
    const { results } = mapAll(
      example,
      ['id', 'titre', 'العنوان', 'description', 'mots-clés', 'date de mise à jour', 'licence', 'url', 'lien', 'format'],
      [['d1', 'Eau', 'الماء', 'Qualité', 'eau, assainissement', '28/05/2019', 'Licence ouverte', 'https://x.ma/d1', 'https://x.ma/d1.csv', 'CSV']],
    );
    expect(results[0]?.problems).toEqual([]);
    expect(results[0]?.record).toMatchObject({
      identifier: 'd1',
      title: { fr: 'Eau', ar: 'الماء' },
      keywords: { fr: ['eau', 'assainissement'] },
      modified: '2019-05-28',
      publisher: { name: { fr: "Ministère de l'Équipement et de l'Eau" } },
      distributions: [{ accessUrl: 'https://x.ma/d1.csv', format: 'CSV' }],
    });
  });

  it('refuses an identifier constant', () => {
    expect(() => parseCsvConfig({ constants: { identifier: 'x' } })).toThrow(/every row would get the same identifier/);
  });

  it('accepts the example config and no config at all', () => {
    expect(parseCsvConfig(undefined)).toEqual({ constants: [], defaultLanguage: '' });
    expect(parseCsvConfig(null).mapping).toBeUndefined();
    const s = parseCsvConfig({ mapping: { 'title.fr': 'titre' }, encoding: 'ISO-8859-1', delimiter: ';' });
    expect(s).toMatchObject({ encoding: 'windows-1252', delimiter: ';' });
  });

  it('merges a preset with the source mapping, the source winning per field', () => {
    const s = parseCsvConfig({ preset: 'etalab', mapping: { 'title.fr': 'intitulé', identifier: 'id' } });
    const title = s.mapping?.find((b) => b.target.field === 'title');
    expect(title).toMatchObject({ column: 'intitulé' });
    expect(title?.fromPreset).toBeUndefined();
    expect(s.mapping?.find((b) => b.target.field === 'description')).toMatchObject({ column: 'description', fromPreset: true });
    expect(s.mapping?.find((b) => b.target.field === 'identifier')).toMatchObject({ column: 'id' });
  });
});
