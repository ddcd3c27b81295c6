import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Issue #16, "SQL in one place": every repository function takes the one DbHandle, first and
// named `h`, and picks drizzle (`h.db`) or the pool (`h.pool`) inside. A function taking a bare
// drizzle `Db` or `pg.Pool` would make its callers choose again between `.db.db` and `.pool`.
// The compiler cannot forbid that, so this scans the sources.

/** An exported function of `source`: its name and the text between its parameter list's parentheses. */
interface Signature {
  name: string;
  params: string;
}

/** Exported functions (declarations and `export const f = (…) =>`), parameter lists across lines and nested parentheses included. */
function exportedSignatures(source: string): Signature[] {
  const out: Signature[] = [];
  const start = /^export (?:async )?function\*? ?(\w+)\s*(?:<[^(]*>)?\(|^export const (\w+)\s*=\s*(?:async\s*)?\(/gm;
  for (let m = start.exec(source); m; m = start.exec(source)) {
    let depth = 1;
    let i = start.lastIndex;
    for (; i < source.length && depth > 0; i++) {
      if (source[i] === '(') depth++;
      else if (source[i] === ')') depth--;
    }
    out.push({ name: (m[1] ?? m[2])!, params: source.slice(start.lastIndex, i - 1) });
  }
  return out;
}

/** A parameter typed as drizzle's `Db` or the driver's pool (`pg.Pool`, `Pool`, `import('pg').Pool`). */
const BARE_HANDLE = /:\s*(?:Db|(?:pg\.|import\(['"]pg['"]\)\.)?Pool)\s*(?:[,=|)]|$)/m;

const SRC = new URL('./', import.meta.url);
const FILES = [
  ...readdirSync(new URL('repositories/', SRC)).map((f) => `repositories/${f}`),
  ...readdirSync(SRC).filter((f) => f.endsWith('.ts')),
].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const SIGNATURES = FILES.flatMap((file) => exportedSignatures(readFileSync(new URL(file, SRC), 'utf8')).map((s) => ({ file, ...s })));

describe('@hasad/db repositories take one DbHandle', () => {
  it('finds the exported functions (the scan still matches the sources)', () => {
    expect(SIGNATURES.filter((s) => /\bDbHandle\b/.test(s.params)).length).toBeGreaterThan(100);
  });

  it('no exported function takes a bare Db or pg.Pool', () => {
    expect(SIGNATURES.filter((s) => BARE_HANDLE.test(s.params)).map((s) => `${s.file}: ${s.name}(${s.params})`)).toEqual([]);
  });

  it('the handle is the first parameter, named h', () => {
    const misplaced = SIGNATURES.filter((s) => /\bDbHandle\b/.test(s.params) && !/^\s*h: DbHandle\b/.test(s.params));
    expect(misplaced.map((s) => `${s.file}: ${s.name}(${s.params})`)).toEqual([]);
  });

  it('would refuse what it forbids', () => {
    const probe = [
      'export async function a(db: Db, id: string): Promise<void> {}',
      'export function* b(\n  pool: pg.Pool,\n  opts: { f: (x: number) => void } = {},\n) {}',
      'export const c = async (id: string, pool: Pool) => id;',
      "export async function d(p: import('pg').Pool) {}",
      'export async function e(h: DbHandle, f: (db: string) => void): Promise<void> {}',
    ].join('\n');
    expect(exportedSignatures(probe).filter((s) => BARE_HANDLE.test(s.params)).map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
  });
});
