import { envSchema, settingDocs, settingsReadElsewhere, type SettingDoc } from './config.ts';

/** One row of the settings reference: a setting's documentation with its default as shown. */
export interface SettingReference extends SettingDoc {
  name: string;
  /** The default in Markdown: the schema's own, else SettingDoc.default. */
  defaultText: string;
}

/** Start and end of the generated table in docs/settings.md; what lies outside them is written by hand. */
export const SETTINGS_TABLE_BEGIN = '<!-- settings table: generated from packages/core/src/config.ts by `npm run docs:settings`; edit the code, not this table -->';
export const SETTINGS_TABLE_END = '<!-- end of settings table -->';

const code = (v: string) => `\`${v}\``;

/** The schema's default as shown in the table, or undefined for a setting without one (optional). */
function schemaDefault(name: string, schema: (typeof envSchema.shape)[keyof typeof envSchema.shape]): string | undefined {
  const res = schema.safeParse(undefined);
  if (!res.success) throw new Error(`${name}: has neither a default nor .optional(); every setting must be optional`);
  const v: unknown = res.data;
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return code(v ? '1' : '0');
  if (Array.isArray(v)) return v.length === 0 ? 'empty' : code(v.join(','));
  return code(String(v));
}

/**
 * Every setting Hasad reads, in the order of envSchema, then those read outside loadConfig, each
 * with its documentation. Throws when one is undocumented or its documented default contradicts
 * the schema's.
 */
export function settingsReference(): SettingReference[] {
  const out: SettingReference[] = [];
  for (const [name, schema] of Object.entries(envSchema.shape)) {
    const doc = settingDocs.get(schema);
    if (!doc) throw new Error(`${name}: no documentation; attach it in envSchema with .register(settingDocs, { doc, unit, roles })`);
    const own = schemaDefault(name, schema);
    if (own !== undefined && doc.default !== undefined && !doc.default.startsWith(own)) throw new Error(`${name}: documented default ${doc.default} is not the schema's ${own}`);
    const defaultText = doc.default ?? own;
    if (defaultText === undefined) throw new Error(`${name}: optional without a default; say what applies when it is unset (SettingDoc.default)`);
    out.push({ name, ...doc, defaultText });
  }
  for (const [name, doc] of Object.entries(settingsReadElsewhere)) out.push({ name, ...doc, defaultText: doc.default ?? 'unset' });
  return out;
}

const ALL_READERS = ['api', 'scheduler', 'fetcher', 'loader', 'cli'];
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The settings table in Markdown, one row per setting. */
export function settingsTable(): string {
  const rows = settingsReference().map((s) => {
    const readers = ALL_READERS.every((r) => s.roles.includes(r as SettingReference['roles'][number])) ? 'all' : s.roles.join(', ');
    return `| ${code(s.name)} | ${cell(s.doc)} | ${cell(s.unit)} | ${cell(s.defaultText)} | ${readers} |`;
  });
  return ['| variable | meaning | unit | default | read by |', '|---|---|---|---|---|', ...rows].join('\n');
}

/**
 * The given docs/settings.md with its generated table replaced by the one the code gives; the
 * same text when it is up to date. Throws when the markers are missing.
 */
export function withSettingsTable(markdown: string): string {
  const begin = markdown.indexOf(SETTINGS_TABLE_BEGIN);
  const end = markdown.indexOf(SETTINGS_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`docs/settings.md: the markers of the generated table are missing:\n${SETTINGS_TABLE_BEGIN}\n${SETTINGS_TABLE_END}`);
  return `${markdown.slice(0, begin)}${SETTINGS_TABLE_BEGIN}\n${settingsTable()}\n${markdown.slice(end)}`;
}
