/** Synthetic DCAT pages for tests and throughput measurement. */

/** A Turtle page of `n` datasets shaped like a national catalogue's. */
export function generateTurtlePage(n: number, offset = 0): string {
  const out: string[] = [
    '@prefix dcat: <http://www.w3.org/ns/dcat#> .',
    '@prefix dct: <http://purl.org/dc/terms/> .',
    '@prefix foaf: <http://xmlns.com/foaf/0.1/> .',
    '@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .',
    '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .',
    '@prefix ex: <https://data.example.ma/> .',
    '',
  ];
  for (let k = offset; k < offset + n; k++) {
    out.push(
      `ex:dataset-${k} a dcat:Dataset ;`,
      `  dct:identifier "ds-${k}" ;`,
      `  dct:title "Qualité de l'eau — station ${k}"@fr, "جودة المياه - المحطة ${k}"@ar ;`,
      `  dct:description "Mesures mensuelles de la qualité de l'eau potable, station numéro ${k}, avec nitrates et turbidité."@fr, "قياسات شهرية لجودة مياه الشرب في المحطة رقم ${k}."@ar ;`,
      `  dcat:keyword "eau"@fr, "qualité"@fr, "مياه"@ar, "جودة"@ar ;`,
      `  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;`,
      `  dct:publisher ex:agency-${k % 50} ;`,
      `  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Service des données" ; vcard:hasEmail <mailto:donnees@example.ma> ] ;`,
      `  dcat:landingPage <https://data.example.ma/fr/dataset/${k}> ;`,
      `  dct:issued "2021-03-${String((k % 28) + 1).padStart(2, '0')}"^^xsd:date ;`,
      `  dct:modified "2024-01-15T10:${String(k % 60).padStart(2, '0')}:00Z"^^xsd:dateTime ;`,
      `  dct:license <https://creativecommons.org/licenses/by/4.0/> ;`,
      `  dct:spatial <https://sws.geonames.org/2542007/> ;`,
      `  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ; dcat:endDate "2020-12-31"^^xsd:date ] ;`,
      `  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY> ;`,
      `  dct:language <http://publications.europa.eu/resource/authority/language/FRA>, <http://publications.europa.eu/resource/authority/language/ARA> ;`,
      `  dcat:distribution ex:dataset-${k}-csv, [`,
      `    a dcat:Distribution ; dct:title "Données JSON"@fr, "بيانات JSON"@ar ;`,
      `    dcat:accessURL <https://data.example.ma/api/${k}> ; dcat:mediaType <http://www.iana.org/assignments/media-types/application/json> ;`,
      `    dcat:byteSize "20480"^^xsd:nonNegativeInteger ] .`,
      `ex:dataset-${k}-csv a dcat:Distribution ; dct:title "Fichier CSV"@fr ;`,
      `  dcat:downloadURL <https://data.example.ma/files/${k}.csv> ; dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;`,
      `  dcat:mediaType "text/csv" ; dcat:byteSize "123456"^^xsd:nonNegativeInteger ; dct:issued "2021-03-01"^^xsd:date .`,
    );
  }
  for (let a = 0; a < 50; a++) {
    out.push(`ex:agency-${a} a foaf:Organization ; foaf:name "Agence ${a}"@fr, "الوكالة ${a}"@ar ; foaf:homepage <https://agency${a}.example.ma/> .`);
  }
  return `${out.join('\n')}\n`;
}
