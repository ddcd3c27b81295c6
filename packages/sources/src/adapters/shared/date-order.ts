/**
 * Day/month order of numeric dates (`13/02/2026`, `02-13-2026`), shared by the adapters that
 * infer it from the values they read (CSV columns, SOAP fields, CKAN extras): a value whose
 * first number is above 12 proves day first, one whose second is above 12 proves month first.
 */

/** A numeric date: day and month (either order), one separator used twice, a four-digit year. */
export const NUMERIC_DATE = /^(\d{1,2})([/.-])(\d{1,2})\2\d{4}\b/;

/** What one value proves: `day` (13/02/2026), `month` (02/13/2026), or nothing (05/03/2026 or no numeric date). */
export function provenOrder(value: string): 'day' | 'month' | undefined {
  const d = NUMERIC_DATE.exec(value.trim());
  if (d === null) return undefined;
  const [a, b] = [Number(d[1]), Number(d[3])];
  if (a > 12 && b <= 12) return 'day';
  if (b > 12 && a <= 12) return 'month';
  return undefined;
}

/** Words of a date field's name that say its language (beyond Arabic script). */
const FRENCH_DATE_WORDS = /\b(date|mise|jour|maj|publication|cr[ée]ation|modification|derni[èe]re?|parution|mis)\b/i;
const ENGLISH_DATE_WORDS = /\b(modified|updated|update|issued|published|created|last|release[d]?)\b/i;

/**
 * The language a date field's name (a CSV header, an XML element's name, a CKAN extra's key) is
 * written in, when its words tell: Arabic script, French accents or words, English words.
 * camelCase and snake_case names are read word by word (`dateMaj`, `last_updated`).
 */
export function dateNameLanguage(name: string): string | undefined {
  const words = name.replace(/([a-zà-ÿ])([A-Z])/g, '$1 $2').replace(/_/g, ' ');
  if (/\p{Script=Arabic}/u.test(words)) return 'ar';
  if (/[àâçéèêëîïôûùüÿœ]/i.test(words) || (FRENCH_DATE_WORDS.test(words) && !ENGLISH_DATE_WORDS.test(words))) return 'fr';
  if (ENGLISH_DATE_WORDS.test(words)) return 'en';
  return undefined;
}

/** Why an order was chosen for values that prove neither: the name's language, else the platform's convention. */
export function orderFromName(lang: string | undefined, noun: string): { order: 'day' | 'month'; why: string } {
  const names: Record<string, string> = { en: 'English', fr: 'French', ar: 'Arabic' };
  return {
    order: lang === 'en' ? 'month' : 'day',
    why: `every value could be either; ${lang === undefined ? `the ${noun} does not tell its language, so the platform’s convention` : `the ${noun} is ${names[lang] ?? lang}`}`,
  };
}
