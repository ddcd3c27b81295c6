import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { binaryKind, charsetOf, detectDelimiter, detectEncoding, guessSingleByte, isValidUtf8, notCsvReason, openCsv } from './parse.ts';
import type { CsvRow } from './parse.ts';

const FRENCH = "titre;description\nQualité de l'eau; Données\nÉTAT DES RÉSEAUX;Réseau d'assainissement\n";
const ARABIC = 'العنوان;الوصف\nجودة المياه;بيانات جودة المياه الصالحة للشرب\n';

describe('detectEncoding', () => {
  it('reads windows-1252 French as windows-1252', () => {
    const bytes = iconv.encode(FRENCH, 'windows-1252');
    expect(isValidUtf8(bytes)).toBe(false);
    expect(detectEncoding(bytes)).toMatchObject({ encoding: 'windows-1252', source: 'detected', bomLength: 0 });
    expect(iconv.decode(bytes, detectEncoding(bytes).encoding)).toBe(FRENCH);
  });

  it('reads windows-1256 Arabic as windows-1256', () => {
    const bytes = iconv.encode(ARABIC, 'windows-1256');
    expect(detectEncoding(bytes)).toMatchObject({ encoding: 'windows-1256', source: 'detected' });
    expect(iconv.decode(bytes, 'windows-1256')).toBe(ARABIC);
  });

  it('reads a windows-1256 file that mixes French and Arabic as windows-1256 (1256 keeps é, è, à …)', () => {
    const text = "titre;العنوان\nQualité de l'eau;جودة المياه\nDonnées hydrologiques;المعطيات الهيدرولوجية\n";
    const bytes = iconv.encode(text, 'windows-1256');
    expect(detectEncoding(bytes).encoding).toBe('windows-1256');
    expect(iconv.decode(bytes, 'windows-1256')).toBe(text);
  });

  it('counts the evidence as described: Arabic-only words vs Latin words with letters 1256 lacks', () => {
    expect(guessSingleByte(iconv.encode('جودة المياه', 'windows-1256'))).toMatchObject({ arabicWords: 2, latinWords: 0 });
    expect(guessSingleByte(iconv.encode('ÉTAT Ça À', 'windows-1252'))).toMatchObject({ encoding: 'windows-1252', latinWords: 2 });
    // Only letters both code pages share: no evidence, the tie goes to windows-1252.
    expect(guessSingleByte(iconv.encode('Données à télécharger', 'windows-1252'))).toEqual({ encoding: 'windows-1252', arabicWords: 0, latinWords: 0 });
  });

  it('reads UTF-8 with and without BOM', () => {
    const plain = Buffer.from(ARABIC + FRENCH, 'utf8');
    expect(detectEncoding(plain)).toMatchObject({ encoding: 'utf-8', source: 'detected', bomLength: 0 });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), plain]);
    expect(detectEncoding(bom)).toMatchObject({ encoding: 'utf-8', source: 'bom', bomLength: 3 });
  });

  it('accepts UTF-8 cut in the middle of a character at the end of the first chunk', () => {
    const bytes = Buffer.from('titre\nجودة', 'utf8');
    expect(detectEncoding(bytes.subarray(0, bytes.length - 1)).encoding).toBe('utf-8');
  });

  it('reads UTF-16 LE and BE by their BOM, and BOM-less UTF-16 by its NUL pattern', () => {
    const le = iconv.encode(FRENCH, 'utf-16le', { addBOM: true });
    const be = iconv.encode(FRENCH, 'utf-16be', { addBOM: true });
    expect(le.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    expect(detectEncoding(le)).toMatchObject({ encoding: 'utf-16le', source: 'bom', bomLength: 2 });
    expect(detectEncoding(be)).toMatchObject({ encoding: 'utf-16be', source: 'bom', bomLength: 2 });
    expect(detectEncoding(iconv.encode(FRENCH, 'utf-16le'))).toMatchObject({ encoding: 'utf-16le', source: 'detected' });
    expect(detectEncoding(iconv.encode(FRENCH, 'utf-16be'))).toMatchObject({ encoding: 'utf-16be', source: 'detected' });
  });

  it('lets the HTTP charset win over detection, and the config over both; ISO-8859-1 decodes as windows-1252', () => {
    const bytes = iconv.encode(ARABIC, 'windows-1256');
    expect(charsetOf('text/csv; charset="ISO-8859-1"')).toBe('ISO-8859-1');
    expect(detectEncoding(bytes, { charset: 'ISO-8859-1' })).toMatchObject({ encoding: 'windows-1252', source: 'charset' });
    expect(detectEncoding(bytes, { charset: 'windows-1252', forced: 'cp1256' })).toMatchObject({ encoding: 'cp1256', source: 'config' });
    expect(detectEncoding(bytes, { charset: 'x-unknown-charset' })).toMatchObject({ encoding: 'windows-1256', source: 'detected' });
  });
});

describe('detectDelimiter', () => {
  it.each([
    [',', 'id,titre,format\n1,Eau,CSV\n2,Air,JSON\n'],
    [';', 'id;titre;description\n1;Eau;"Débit, en m3/s"\n2;Air;Qualité, ozone\n'],
    ['\t', 'id\ttitre\tmots-clés\n1\tEau\teau, assainissement\n'],
    ['|', 'id|titre|mots-clés\n1|Eau|eau; assainissement\n2|Air|air\n'],
  ])('finds %j', (d, text) => {
    expect(detectDelimiter(text)).toBe(d);
  });

  it('ignores delimiters inside quotes, over several lines', () => {
    expect(detectDelimiter('titre;description\n"Eau";"une, deux,\ntrois, quatre"\n"Air";"x"\n')).toBe(';');
  });

  it('prefers the delimiter that is consistent across rows', () => {
    // Commas in the header too, but only the semicolons line up.
    expect(detectDelimiter('titre;prix, en €;note\nEau;1,5;2\nAir;2;3,5\nSol;3;4\n')).toBe(';');
  });

  it('finds none in a one-column file', () => {
    expect(detectDelimiter('titre\nEau\nAir\n')).toBeUndefined();
  });
});

describe('what is not CSV', () => {
  it('recognises an HTML error page, whatever it is served as', () => {
    const page = '<!DOCTYPE html>\n<html lang="fr"><head><title>Erreur 500 - Service indisponible</title></head><body>…</body></html>';
    expect(notCsvReason(page, { contentType: 'text/csv' })).toMatch(/HTML page \(Content-Type text\/csv\).*"Erreur 500 - Service indisponible"/);
    expect(notCsvReason('  <html>\n<body>Connexion</body></html>', {})).toMatch(/HTML page/);
  });

  it('takes text/html as a strong hint', () => {
    expect(notCsvReason('<div>Maintenance</div>', { contentType: 'text/html; charset=utf-8' })).toMatch(/HTML page/);
    expect(notCsvReason('Maintenance en cours\nRevenez plus tard\n', { contentType: 'text/html' })).toMatch(/text\/html with no CSV delimiter/);
    expect(notCsvReason('titre;description\nEau;x\n', { contentType: 'text/html', delimiter: ';' })).toBeUndefined();
  });

  it('refuses markup with no delimiter and JSON', () => {
    expect(notCsvReason('<?xml version="1.0"?>\n<rdf:RDF/>', {})).toMatch(/received XML/);
    expect(notCsvReason('<catalog>\n<dataset/>\n</catalog>\n', {})).toMatch(/markup/);
    expect(notCsvReason('{"error": "not found", "status": 404}', { contentType: 'application/json', delimiter: ',' })).toMatch(/received JSON/);
    expect(notCsvReason('[{"title": "Eau"}]', { delimiter: ',' })).toMatch(/received JSON/);
  });

  it('lets a plain one-column CSV through', () => {
    expect(notCsvReason('titre\nEau\nAir\n', {})).toBeUndefined();
  });

  it('recognises binary data and names common formats', () => {
    expect(binaryKind(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]))).toMatch(/ZIP archive.*xlsx/);
    expect(binaryKind(Buffer.from('%PDF-1.7\n'))).toMatch(/PDF/);
    expect(binaryKind(Buffer.from([0x41, 0x00, 0x42, 0x43]))).toMatch(/NUL/);
    expect(binaryKind(iconv.encode(FRENCH, 'windows-1252'))).toBeUndefined();
  });
});

/** A body that arrives in pieces of `size` bytes, as from a slow server. */
function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function allRows(rows: AsyncIterable<CsvRow[]>): Promise<CsvRow[]> {
  const out: CsvRow[] = [];
  for await (const chunk of rows) out.push(...chunk);
  return out;
}

describe('openCsv', () => {
  it('decodes multi-byte characters split across chunks (UTF-8 and UTF-16)', async () => {
    const text = 'العنوان,الوصف\nجودة المياه,"وصف, مع فاصلة"\n';
    for (const [enc, bom] of [
      ['utf-8', false],
      ['utf-16le', true],
      ['utf-16be', true],
    ] as const) {
      const f = await openCsv(chunked(iconv.encode(text, enc, { addBOM: bom }), 3), { url: 'http://x/a.csv' });
      expect(f.header).toEqual(['العنوان', 'الوصف']);
      expect((await allRows(f.rows)).map((r) => r.cells)).toEqual([['جودة المياه', 'وصف, مع فاصلة']]);
    }
  });

  it('reads windows-1252 with ; and gives each row its first line, even after a multi-line cell', async () => {
    const text = 'id;titre;description\r\n1;Qualité de l\'eau;"deux\r\nlignes"\r\n\r\n2;Données;x\r\n;;\r\n';
    const f = await openCsv(chunked(iconv.encode(text, 'windows-1252'), 7), { url: 'http://x/a.csv' });
    expect(f.encoding.encoding).toBe('windows-1252');
    expect(f.delimiter).toBe(';');
    const rows = await allRows(f.rows);
    expect(rows).toEqual([
      { cells: ['1', "Qualité de l'eau", 'deux\r\nlignes'], line: 2 },
      { cells: ['2', 'Données', 'x'], line: 5 },
    ]);
  });

  it('honours a forced encoding and delimiter', async () => {
    const f = await openCsv(chunked(iconv.encode('a|b\nÉté|x\n', 'windows-1252'), 4), { url: 'http://x/a.csv', encoding: 'windows-1252', delimiter: '|' });
    expect([f.encoding.source, f.delimiterSource]).toEqual(['config', 'config']);
    expect((await allRows(f.rows))[0]?.cells).toEqual(['Été', 'x']);
  });

  it('fails with a ParseError naming the line when a quote is never closed', async () => {
    const f = await openCsv(Readable.from([Buffer.from('id;titre\n1;Eau\n2;"Air\n3;Sol\n')]), { url: 'http://x/a.csv' });
    await expect(allRows(f.rows)).rejects.toThrow(ParseError);
    const g = await openCsv(Readable.from([Buffer.from('id;titre\n1;Eau\n2;"Air\n3;Sol\n')]), { url: 'http://x/a.csv' });
    await expect(allRows(g.rows)).rejects.toThrow(/at line \d+: a quoted field is never closed/);
  });

  it('follows the HTTP charset, warning when the bytes contradict it', async () => {
    const utf8 = Buffer.from("titre\nQualité de l'eau\n", 'utf8');
    const f = await openCsv(Readable.from([utf8]), { url: 'http://x/a.csv', contentType: 'text/csv; charset=iso-8859-1' });
    expect(f.encoding).toMatchObject({ encoding: 'windows-1252', source: 'charset' });
    expect(f.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'csv_encoding', message: expect.stringContaining('reads as valid UTF-8') })]);
    const latin = iconv.encode("titre\nQualité de l'eau\n", 'windows-1252');
    const g = await openCsv(Readable.from([latin]), { url: 'http://x/a.csv', contentType: 'text/csv; charset=utf-8' });
    expect(g.encoding).toMatchObject({ encoding: 'utf-8', source: 'charset' });
    expect(g.problems).toEqual([expect.objectContaining({ code: 'csv_encoding', message: expect.stringContaining('not valid UTF-8') })]);
    // A BOM is in the bytes themselves: it beats a server-wide default charset.
    const bom = await openCsv(Readable.from([Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8])]), { url: 'http://x/a.csv', contentType: 'text/csv; charset=iso-8859-1' });
    expect(bom.encoding.source).toBe('bom');
    expect(bom.header).toEqual(['titre']);
    expect((await allRows(bom.rows))[0]?.cells).toEqual(["Qualité de l'eau"]);
  });

  it('throws ParseError for HTML and binary before reading rows', async () => {
    await expect(openCsv(Readable.from([Buffer.from('<!doctype html><title>Oups</title>')]), { url: 'http://x/a.csv', contentType: 'text/html' })).rejects.toThrow(
      /could not parse csv from http:\/\/x\/a.csv: received an HTML page \(Content-Type text\/html\)/,
    );
    await expect(openCsv(Readable.from([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2])]), { url: 'http://x/a.csv' })).rejects.toThrow(/ZIP archive/);
  });

  it('opens an empty file with no header and no rows', async () => {
    const f = await openCsv(Readable.from([]), { url: 'http://x/a.csv' });
    expect(f.header).toEqual([]);
    expect(await allRows(f.rows)).toEqual([]);
  });
});
