import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '@hasad/cli';

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
