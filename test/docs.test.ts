import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '@hasad/cli';
import { envSchema, settingDocs, settingsReference, withSettingsTable } from '@hasad/core';

// The README and docs/ are what a newcomer follows: every command they show must exist and
// every link must lead somewhere. A renamed script, command or page fails here.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** Scripts by workspace: '' for the root, else the package name and its folder. */
function scripts(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (dir: string) => {
    const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
    const names = new Set(Object.keys(pkg.scripts ?? {}));
    if (dir === '.') out.set('', names);
    else out.set(pkg.name, names).set(dir, names);
  };
  add('.');
  for (const group of ['packages', 'services']) for (const d of readdirSync(join(ROOT, group))) if (existsSync(join(ROOT, group, d, 'package.json'))) add(`${group}/${d}`);
  return out;
}

/** Every command path of the CLI (`source add`, `run show`, …). */
function commandPaths(): Set<string> {
  const out = new Set<string>();
  type Cmd = { name(): string; readonly commands: readonly Cmd[] };
  const walk = (c: Cmd, path: string[]) => {
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      out.add(p.join(' '));
      walk(sub, p);
    }
  };
  walk(buildProgram(), []);
  return out;
}

describe('README and docs/', () => {
  it('the README stays an entry point (at most 300 lines) and links every docs page', () => {
    const readme = text('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    for (const f of DOCS.filter((d) => d !== 'README.md')) expect(readme, `README links ${f}`).toMatch(new RegExp(`\\]\\(${f.replace('.', '\\.')}[)#]`));
  });

  it('every `npm run SCRIPT` they show exists (in the root, or in the workspace given by -w)', () => {
    const all = scripts();
    const missing: string[] = [];
    let seen = 0;
    for (const f of DOCS) {
      for (const m of text(f).matchAll(/npm run ([\w:.-]+)((?:\s+-w\s+|\s+--workspace[= ])(@?[\w/.-]+))?/g)) {
        const ws = m[3] ?? '';
        const name = m[1]!.replace(/[:.]+$/, ''); // a sentence's own colon or full stop
        seen++;
        if (!all.get(ws)?.has(name)) missing.push(`${f}: npm run ${name}${ws ? ` -w ${ws}` : ''}`);
      }
    }
    expect(seen).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('every `npx hasad COMMAND` they show is a command of the CLI', () => {
    const paths = commandPaths();
    const missing: string[] = [];
    let seen = 0;
    for (const f of DOCS) {
      for (const m of text(f).matchAll(/npx hasad ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)/g)) {
        const words = m[1]!.split(' ');
        seen++;
        // `source add`, or a one-word command followed by its argument (`harvest SOURCE_ID` is upper case, not matched).
        if (!paths.has(words.join(' ')) && !paths.has(words[0]!)) missing.push(`${f}: npx hasad ${m[1]}`);
        else if (words.length === 2 && !paths.has(words.join(' ')) && [...paths].some((p) => p.startsWith(`${words[0]} `))) missing.push(`${f}: npx hasad ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('every relative link they make leads to a file of the repository', () => {
    const broken: string[] = [];
    for (const f of DOCS) {
      for (const m of text(f).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const file = resolve(ROOT, dirname(f), target.split('#')[0]!);
        if (!existsSync(file)) broken.push(`${f}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

/** Source files of services/ and packages/ as `[path, text]`, tests and test helpers left out. */
function sourceFiles(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'fixtures') walk(p);
      } else if (e.name.endsWith('.ts') && !/test/i.test(p)) out.push([p, readFileSync(join(ROOT, p), 'utf8')]);
    }
  };
  walk('services');
  walk('packages');
  return out;
}

/**
 * The settings a source text names: every HASAD_* word and every `process.env.NAME`; a name
 * written as a family (`HASAD_SOAP_MAX_*`) comes back as its prefix with `family` set.
 */
function settingsNamed(text: string): { name: string; family: boolean }[] {
  const out: { name: string; family: boolean }[] = [];
  for (const m of text.matchAll(/\b(HASAD_[A-Z0-9_]*[A-Z0-9])(_\*)?/g)) out.push({ name: m[1]!, family: m[2] !== undefined });
  for (const m of text.matchAll(/process\.env\.([A-Z_][A-Z0-9_]*)/g)) out.push({ name: m[1]!, family: false });
  return out;
}

/** The names among `named` that no documented setting answers to, with where they were seen. */
function undocumented(files: [string, string][], documented: Set<string>): string[] {
  const out = new Set<string>();
  for (const [path, text] of files) {
    for (const { name, family } of settingsNamed(text)) {
      const known = family ? [...documented].some((d) => d.startsWith(`${name}_`)) : documented.has(name);
      if (!known) out.add(`${name}${family ? '_*' : ''} (${path})`);
    }
  }
  return [...out];
}

describe('docs/settings.md', () => {
  const FIX = 'run `npm run docs:settings` (the table is generated from packages/core/src/config.ts)';

  it('its settings table is the one the code gives', () => {
    const current = text('docs/settings.md');
    expect(withSettingsTable(current) === current, `docs/settings.md is out of date: ${FIX}`).toBe(true);
  });

  it('every setting in envSchema carries its own documentation', () => {
    const schemas = Object.values(envSchema.shape);
    // settingDocs is keyed by schema instance: two settings sharing one would share a description.
    expect(new Set(schemas).size).toBe(schemas.length);
    const missing = Object.entries(envSchema.shape).filter(([, schema]) => settingDocs.get(schema) === undefined).map(([name]) => name);
    expect(missing, 'attach .register(settingDocs, { doc, unit, roles }) to each').toEqual([]);
    expect(() => settingsReference()).not.toThrow();
  });

  it('every setting the code reads is documented (a HASAD_* name or process.env.NAME in services/ or packages/)', () => {
    const documented = new Set(settingsReference().map((s) => s.name));
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(undocumented(files, documented), `define and document them in packages/core/src/config.ts, then ${FIX}`).toEqual([]);
    // The check itself: a name nobody defined is caught, a documented family is not.
    expect(undocumented([['x.ts', 'loadConfig().HASAD_NOT_A_SETTING; the HASAD_SOAP_MAX_* limits; process.env.SOMETHING_ELSE']], documented)).toEqual([
      'HASAD_NOT_A_SETTING (x.ts)',
      'SOMETHING_ELSE (x.ts)',
    ]);
  });

  it("a setting named in a service's code lists that service's role among its readers", () => {
    const wrong: string[] = [];
    const bySetting = new Map(settingsReference().map((s) => [s.name, s]));
    for (const [path, source] of sourceFiles()) {
      const role = /^services\/(api|scheduler|fetcher|loader)\//.exec(path)?.[1];
      if (!role) continue;
      for (const { name } of settingsNamed(source)) {
        const s = bySetting.get(name);
        if (s && !(s.roles as readonly string[]).includes(role)) wrong.push(`${name} is read by ${role} (${path})`);
      }
    }
    expect(wrong, `add the role to the setting's roles in packages/core/src/config.ts, then ${FIX}`).toEqual([]);
  });
});
