import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hasad/core';
import { parseSoapConfig } from './config.ts';
import { compileDateFormat } from './dates.ts';
import { batchResults, compileMapping, mapRecord, settleDateOrders } from './map.ts';
import type { RecordMapResult } from './map.ts';
import { stableStringify } from '../../stable-json.ts';
import { compilePath, parseXml, selectNodes } from './xml.ts';

/** Maps the records of `<E><Body><list>…records…</list></Body></E>` with a field mapping. */
function mapAll(recordsXml: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}): RecordMapResult[] {
  const config = parseSoapConfig({ envelope: '<Get/>', recordPath: 'Body/list/r', paging: { mode: 'none' }, fields, ...extra });
  const doc = parseXml(`<E xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Body><list>${recordsXml}</list></Body></E>`, 'http://svc/');
  const m = compileMapping(config);
  return selectNodes(doc.root, compilePath(config.recordPath)).map((n) => mapRecord(n, m));
}

describe('mapRecord', () => {
  it('maps every canonical field kind', () => {
    const [res] = mapAll(
      `<r><id> 42 </id><uri>https://data.example.ma/ds/42</uri><t lang="fr">Pluviométrie</t><ta>التساقطات</ta><d>Relevés</d>
        <kw>pluie</kw><kw>climat</kw><kw>pluie</kw><th>env; eau ;;</th><pub><nom>Ministère</nom><mail>mailto:contact@eau.gov.ma</mail><site>https://eau.gov.ma</site></pub>
        <cp><tel>tel:+212537000000</tel></cp><page>https://data.example.ma/42</page><cree>2020-01-05</cree><maj>05/03/2024 14:30</maj>
        <lic>CC-BY-4.0</lic><geo>Rabat</geo><geo>Fès</geo><debut>2001</debut><fin>2023-12</fin><langue>fr</langue>
        <res><fichier><u>https://data.example.ma/42.csv</u><type>text/CSV; charset=utf-8</type><taille>1024</taille><titre>Fichier</titre></fichier></res>
      </r>`,
      {
        identifier: 'id',
        uri: 'uri',
        'title.fr': 't',
        'title.AR': 'ta',
        description: 'd',
        'keywords.fr': 'kw',
        themes: { path: 'th', separator: ';' },
        'publisher.name.fr': 'pub/nom',
        'publisher.email': 'pub/mail',
        'publisher.homepage': 'pub/site',
        'contactPoint.phone': 'cp/tel',
        landingPage: 'page',
        issued: 'cree',
        modified: { path: 'maj', dateFormat: 'DD/MM/YYYY HH:mm' },
        license: 'lic',
        spatial: 'geo',
        'temporal.start': 'debut',
        'temporal.end': 'fin',
        language: 'langue',
        'distributions[].downloadUrl': 'res/fichier/u',
        'distributions[].mediaType': 'res/fichier/type',
        'distributions[].byteSize': 'res/fichier/taille',
        'distributions[].title.fr': 'res/fichier/titre',
      },
      { constants: { accrualPeriodicity: 'http://publications.europa.eu/resource/authority/frequency/MONTHLY', 'distributions[].license': 'CC-BY-4.0' } },
    );
    expect(res!.problems).toEqual([]);
    expect(res!.record).toEqual({
      identifier: '42',
      uri: 'https://data.example.ma/ds/42',
      title: { ar: 'التساقطات', fr: 'Pluviométrie' },
      description: { '': 'Relevés' },
      keywords: { fr: ['climat', 'pluie'] },
      themes: ['eau', 'env'],
      publisher: { name: { fr: 'Ministère' }, email: 'contact@eau.gov.ma', homepage: 'https://eau.gov.ma' },
      contactPoint: { phone: '+212537000000' },
      landingPage: 'https://data.example.ma/42',
      issued: '2020-01-05',
      modified: '2024-03-05T14:30:00',
      license: 'CC-BY-4.0',
      spatial: ['Fès', 'Rabat'],
      temporal: [{ start: '2001', end: '2023-12' }],
      language: ['fr'],
      accrualPeriodicity: 'http://publications.europa.eu/resource/authority/frequency/MONTHLY',
      distributions: [{ downloadUrl: 'https://data.example.ma/42.csv', mediaType: 'text/csv', byteSize: 1024, title: { fr: 'Fichier' }, license: 'CC-BY-4.0' }],
    });
  });

  it('drops values that do not fit, with a warning naming the field and the value', () => {
    const [res] = mapAll(
      `<r><id>7</id><t>Titre</t><t>Autre titre</t><page>www.example.ma</page><maj>31/02/2024</maj>
        <res><f><u>https://x.ma/a.csv</u><s>1,5 Mo</s></f><f><u>ftp:// bad</u></f></res></r>`,
      { identifier: 'id', title: 't', landingPage: 'page', modified: { path: 'maj', dateFormat: 'DD/MM/YYYY' }, 'distributions[].accessUrl': 'res/f/u', 'distributions[].byteSize': 'res/f/s' },
    );
    expect(res!.record).toMatchObject({ identifier: '7', title: { '': 'Titre' }, distributions: [{ accessUrl: 'https://x.ma/a.csv' }] });
    expect(res!.record).not.toHaveProperty('landingPage');
    expect(res!.record).not.toHaveProperty('modified');
    expect(res!.problems.map((p) => [p.code, p.field, p.message, p.identifier])).toEqual([
      ['invalid_url', 'landingPage', 'landingPage "www.example.ma" is not an absolute URL; dropped', '7'],
      ['invalid_date', 'modified', 'modified "31/02/2024" is not a valid date; dropped', '7'],
      ['multiple_values', 'title', 'title has 2 values; kept "Titre"', '7'],
      // A distribution left with no value is dropped; its problems have no index to name.
      ['invalid_url', 'distributions.accessUrl', 'accessUrl "ftp:// bad" is not an absolute URL; dropped', '7'],
      ['invalid_byte_size', 'distributions[0].byteSize', 'byteSize "1,5 Mo" is not a non-negative integer; dropped', '7'],
    ]);
  });

  it('leaves out records without identifier or title, keeping the identifier when known', () => {
    const results = mapAll('<r><t>Sans identifiant</t></r><r><id>9</id><t xsi:nil="true"/></r>', { identifier: 'id', 'title.fr': 't' });
    expect(results).toEqual([
      { problems: [{ severity: 'error', code: 'missing_identifier', message: 'the record has no identifier at id; skipped', field: 'identifier' }] },
      { identifier: '9', problems: [{ severity: 'error', code: 'missing_title', message: 'the record has no title; skipped', identifier: '9', field: 'title' }] },
    ]);
  });

  it('orders distributions by content and drops duplicates; the record element itself when paths share no parent', () => {
    const [res] = mapAll('<r><id>1</id><t>T</t><f><u>https://b</u></f><f><u>https://a</u></f><f><u>https://b</u></f></r>', { identifier: 'id', title: 't', 'distributions[].accessUrl': 'f/u' });
    expect(res!.record!.distributions).toEqual([{ accessUrl: 'https://a' }, { accessUrl: 'https://b' }]);
    const [flat] = mapAll('<r><id>1</id><t>T</t><url>https://a</url><fmt>CSV</fmt></r>', { identifier: 'id', title: 't', 'distributions[].accessUrl': 'url', 'distributions[].format': 'fmt' });
    expect(flat!.record!.distributions).toEqual([{ accessUrl: 'https://a', format: 'CSV' }]);
  });

  it('orders distributions with every field set as their stable JSON does (the order record hashes have always seen)', () => {
    const fields = {
      identifier: 'id',
      title: 't',
      'distributions[].uri': 'f/uri',
      'distributions[].title.fr': 'f/t',
      'distributions[].title.ar': 'f/ta',
      'distributions[].description': 'f/d',
      'distributions[].accessUrl': 'f/a',
      'distributions[].downloadUrl': 'f/dl',
      'distributions[].format': 'f/fmt',
      'distributions[].mediaType': 'f/mt',
      'distributions[].license': 'f/lic',
      'distributions[].issued': 'f/iss',
      'distributions[].modified': 'f/mod',
      'distributions[].byteSize': 'f/n',
    };
    const dist = (i: number, a: string) =>
      `<f><uri>https://d/${i}</uri><t>T${i}</t><ta>ع${i}</ta><d>D${i}</d><a>${a}</a><dl>https://dl/${i}</dl><fmt>CSV</fmt><mt>text/csv</mt><lic>L</lic><iss>2024-01-0${i}</iss><mod>2024-02-0${i}</mod><n>${10 - i}</n></f>`;
    const [res] = mapAll(`<r><id>1</id><t>T</t>${dist(3, 'https://a')}${dist(1, 'https://c')}${dist(2, 'https://b')}${dist(1, 'https://c')}</r>`, fields);
    const got = res!.record!.distributions;
    expect(got.map((d) => d.uri)).toEqual(['https://d/3', 'https://d/2', 'https://d/1']);
    const sorted = [...got].sort((a, b) => (stableStringify(a) < stableStringify(b) ? -1 : 1));
    expect(got).toEqual(sorted);
    expect(got.map((d) => JSON.stringify(d))).toEqual(got.map((d) => stableStringify(d)));
  });
});

describe('batchResults', () => {
  it('drops a record already seen in this harvest and cuts batches', () => {
    const results = mapAll('<r><id>1</id><t>a</t></r><r><id>2</id><t>b</t></r><r><id>1</id><t>c</t></r><r><id>3</id><t>d</t></r>', { identifier: 'id', title: 't' });
    const seen = new Set<string>();
    const batches = [...batchResults(results, 2, seen)];
    expect(batches.map((b) => b.records.map((r) => r.title['']))).toEqual([['a', 'b'], ['d']]);
    expect(batches[1]!.problems.map((p) => [p.code, p.identifier])).toEqual([['duplicate_identifier', '1']]);
    expect([...seen]).toEqual(['1', '2', '3']);
  });
});

describe('compileDateFormat', () => {
  it('reads local patterns into normalised dates and rejects impossible ones', () => {
    expect(compileDateFormat('DD/MM/YYYY')('05/03/2024')).toBe('2024-03-05');
    expect(compileDateFormat('D/M/YYYY')('5/3/2024')).toBe('2024-03-05');
    expect(compileDateFormat('YYYY-MM-DDTHH:mm:ss')('2024-03-05T07:08:09')).toBe('2024-03-05T07:08:09');
    expect(compileDateFormat('MM/YYYY')('03/2024')).toBe('2024-03');
    expect(compileDateFormat('DD.MM.YYYY')('05-03-2024')).toBeUndefined();
    expect(compileDateFormat('DD/MM/YYYY')('31/04/2024')).toBeUndefined();
    expect(compileDateFormat('iso')('2024-03-05T10:00:00+01:00')).toBe('2024-03-05T10:00:00+01:00');
  });

  it('rejects formats that cannot mean a date', () => {
    expect(() => compileDateFormat('JJ/MM/AAAA')).toThrow('"J" in "JJ/MM/AAAA" is not a date token');
    expect(() => compileDateFormat('DD/MM')).toThrow('has no year');
    expect(() => compileDateFormat('YYYY mm')).toThrow('has a minute but no hour');
    expect(() => compileDateFormat('YYYY YYYY')).toThrow('the year appears twice');
  });
});

describe('parseSoapConfig', () => {
  const base = { envelope: '<Get><p>{{page}}</p></Get>', recordPath: 'Body/r', paging: { mode: 'emptyPage' }, fields: { identifier: 'id', 'title.fr': 't' } };
  const message = (c: unknown) => {
    try {
      parseSoapConfig(c);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('fills defaults and keeps params as strings', () => {
    expect(parseSoapConfig({ ...base, params: { annee: 2024, actif: true } })).toEqual({
      ...base,
      fields: { identifier: { path: 'id' }, 'title.fr': { path: 't' } },
      params: { annee: '2024', actif: 'true' },
      pageSize: 100,
      firstPage: 1,
      namespaces: {},
      constants: {},
    });
  });

  it('names every unknown key, bad field and bad template at once', () => {
    expect(message({ ...base, colour: 'blue', paging: { mode: 'total', totalPath: 'x', every: 2 }, fields: { 'title.fr': 't', tittle: 'x', 'keywords.fr': { path: 'k', sep: ';' } } })).toBe(
      "invalid soap source config: unknown key(s): paging.every; unknown key(s): fields.keywords.fr.sep; unknown key(s): colour; fields: unknown field(s): tittle; fields.identifier: required: the path of each record's identifier",
    );
    expect(message({ ...base, envelope: '<Get>{{pg}}</Get>' })).toBe(
      'invalid soap source config: envelope: placeholder(s) without a value: {{pg}} (known: {{page}}, {{pageSize}}, {{offset}}); envelope: paging mode "emptyPage" needs {{page}} or {{offset}} in the envelope, else every page would be the first',
    );
    expect(message({ ...base, envelope: '<Get><p>{{page}}</p></Gte>' })).toContain('envelope: the template is not well-formed XML');
    expect(message({ ...base, paging: { mode: 'cursor' } })).toBe('invalid soap source config: paging.mode: must be one of total, emptyPage, hasMore, none');
    expect(message({ ...base, params: { page: 3 } })).toContain('params.page: "page" is set by the adapter');
    expect(message({ ...base, wsdl: 'https://x.ma/s?wsdl', soapAction: 'a"b', endpoint: 'file:///etc/passwd' })).toBe(
      'invalid soap source config: endpoint: must be an http(s) URL; soapAction: must not contain double quotes or line breaks; operation: required with wsdl: the operation to look up there',
    );
    expect(message({ ...base, constants: { identifier: 'x', 'title.fr': 'y', language: 'fr', 'keywords.fr': ['a'], modified: ['2024-01-01'], landingPage: 'ici', 'distributions[].license': 'x' } })).toBe(
      'invalid soap source config: constants.identifier: every record needs its own identifier; map it in fields; constants.title.fr: title.fr is both mapped in fields and set in constants; keep one; constants.modified: modified holds one value, not a list; constants.landingPage: "ici" is not an absolute URL; constants.distributions[].license: a distribution constant needs at least one distributions[] field to say where distributions are',
    );
  });
});

describe('settleDateOrders: the day/month order of a date field without dateFormat, from the page', () => {
  /** Settles on each page in turn, then maps that page's records: as the harvest does. */
  function harvestPages(pagesXml: string[], fields: Record<string, unknown>) {
    const config = parseSoapConfig({ envelope: '<Get/>', recordPath: 'Body/list/r', paging: { mode: 'none' }, fields });
    const m = compileMapping(config);
    return pagesXml.map((xml) => {
      const doc = parseXml(`<E><Body><list>${xml}</list></Body></E>`, 'http://svc/');
      const nodes = selectNodes(doc.root, compilePath(config.recordPath));
      const notes = settleDateOrders(nodes, m);
      const results = nodes.map((n) => mapRecord(n, m));
      return { notes: notes.map((n) => n.message), values: results.map((r) => [r.record?.modified, r.record?.distributions[0]?.issued]), problems: results.flatMap((r) => r.problems.map((p) => p.message)) };
    });
  }
  const rec = (id: string, maj: string, issued = '') => `<r><id>${id}</id><t>T</t><maj>${maj}</maj><f><u>https://x.ma/${id}.csv</u>${issued && `<pub>${issued}</pub>`}</f></r>`;
  const fields = { identifier: 'id', 'title.fr': 't', modified: 'maj', 'distributions[].accessUrl': 'f/u', 'distributions[].issued': 'f/pub' };

  it('a value past 12 proves day first; ISO values still read; the note names the proof; the order holds for later pages', () => {
    const [p1, p2] = harvestPages([`${rec('a', '05/03/2026', '2026-01-31')}${rec('b', '13/02/2026 10:30')}${rec('c', '2026-04-01')}`, rec('d', '07/08/2026')], fields);
    expect(p1?.values).toEqual([
      ['2026-03-05', '2026-01-31'],
      ['2026-02-13T10:30:00', undefined],
      ['2026-04-01', undefined],
    ]);
    expect(p1?.notes).toEqual(['dates in modified (maj) read day first (D/M/YYYY): "13/02/2026 10:30" in record b shows it; a "dateFormat" on the field overrides it']);
    expect(p1?.problems).toEqual([]);
    expect(p2).toEqual({ notes: [], values: [['2026-08-07', undefined]], problems: [] });
  });

  it('a second number past 12 proves month first, in a distribution field as well', () => {
    const [p1] = harvestPages([`${rec('a', '2026-01-01', '02/13/2026')}${rec('b', '2026-01-02', '03/04/2026')}`], fields);
    expect(p1?.values).toEqual([
      ['2026-01-01', '2026-02-13'],
      ['2026-01-02', '2026-03-04'],
    ]);
    expect(p1?.notes).toEqual(['dates in issued (f/pub) read month first (M/D/YYYY): "02/13/2026" in record a shows it; a "dateFormat" on the field overrides it']);
  });

  it('values that prove neither: day first for a French or unknown element name, month first for an English one', () => {
    const fr = harvestPages([rec('a', '05.03.2026')], fields)[0];
    expect(fr?.values).toEqual([['2026-03-05', undefined]]);
    expect(fr?.notes).toEqual(['dates in modified (maj) read day first (D.M.YYYY): every value could be either; the element name is French; a "dateFormat" on the field overrides it']);
    const en = harvestPages(['<r><id>a</id><t>T</t><lastUpdated>05/03/2026</lastUpdated></r>'], { identifier: 'id', 'title.fr': 't', modified: 'lastUpdated' })[0];
    expect(en?.values).toEqual([['2026-05-03', undefined]]);
    expect(en?.notes).toEqual(['dates in modified (lastUpdated) read month first (M/D/YYYY): every value could be either; the element name is English; a "dateFormat" on the field overrides it']);
  });

  it('both orders on one page: nothing is guessed, the numeric values are dropped and the note asks for dateFormat', () => {
    const [p1] = harvestPages([`${rec('a', '13/02/2026')}${rec('b', '02/13/2026')}${rec('c', '2026-01-01')}`], fields);
    expect(p1?.values).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      ['2026-01-01', undefined],
    ]);
    expect(p1?.notes).toEqual(['dates in modified (maj) are written both day first ("13/02/2026", record a) and month first ("02/13/2026", record b); set "dateFormat" on the field to read them']);
    expect(p1?.problems).toEqual(expect.arrayContaining(['modified "13/02/2026" is not a valid date; dropped']));
  });

  it('a page without the field waits; ISO values settle it as it is; an explicit dateFormat is never overridden', () => {
    const waited = harvestPages([rec('a', ''), '<r><id>b</id><t>T</t></r>', rec('c', '13/02/2026')], fields);
    expect(waited.map((p) => p.notes.length)).toEqual([0, 0, 1]);
    expect(waited[2]?.values).toEqual([['2026-02-13', undefined]]);
    const [p1, p2] = harvestPages([rec('b', '2026-03-05'), rec('c', '13/02/2026')], fields);
    expect(p1).toMatchObject({ notes: [], values: [['2026-03-05', undefined]] });
    // Settled as ISO on page 1: a d/m/y value later is dropped with a warning, not read in a guessed order.
    expect(p2).toMatchObject({ notes: [], values: [[undefined, undefined]], problems: ['modified "13/02/2026" is not a valid date; dropped'] });
    const explicit = harvestPages([rec('a', '02/13/2026'), rec('b', '05/03/2026')], { ...fields, modified: { path: 'maj', dateFormat: 'DD/MM/YYYY' } });
    expect(explicit.map((p) => p.notes)).toEqual([[], []]);
    expect(explicit.map((p) => p.values[0]?.[0])).toEqual([undefined, '2026-03-05']);
  });
});
