import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.ts';

/** Every command of the tree as its words (`['source', 'add']`), leaves and groups alike. */
function walk(cmd: Command, path: string[] = []): string[][] {
  return cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...path, c.name()], ...walk(c, [...path, c.name()])]);
}

/** Runs `hasad ARGS` in-process, capturing what commander writes; resolves with the exit code it asked for. */
async function parse(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = buildProgram();
  let out = '';
  let err = '';
  const quiet = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    if (code === undefined) throw e;
    return { code, out, err };
  }
}

describe('hasad --help', () => {
  const commands = walk(buildProgram());

  it('covers every command, source list|show|approve|reject included', () => {
    const names = commands.map((c) => c.join(' '));
    for (const c of ['migrate', 'start', 'org create', 'org notify', 'source add', 'source list', 'source show', 'source approve', 'source reject', 'harvest', 'token create', 'run cancel', 'preview', 'soap operations', 'quality show', 'demo']) {
      expect(names).toContain(c);
    }
  });

  it.each(commands.map((c) => [c.join(' ')]))('hasad %s --help prints its usage and exits 0', async (words) => {
    const r = await parse([...words.split(' '), '--help']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Usage: hasad ${words} `));
  });

  it('every command that does something shows examples', () => {
    const leaves = commands.filter((c) => {
      let cmd = buildProgram();
      for (const w of c) cmd = cmd.commands.find((x) => x.name() === w)!;
      return cmd.commands.length === 0;
    });
    expect(leaves.length).toBeGreaterThan(15);
    return Promise.all(
      leaves.map(async (words) => {
        const r = await parse([...words, '--help']);
        expect(r.out, words.join(' ')).toMatch(/\nExamples:\n {2}\$ /);
      }),
    );
  });

  it('a wrong command line exits 2 and says what was wrong, without a stack trace', async () => {
    for (const [args, said] of [
      [['bogus'], /unknown command 'bogus'/],
      [['preview', '--url', 'http://a.example', '--nope'], /unknown option '--nope'/],
      [['source', 'add', '--org', 'x', '--url', 'http://a.example'], /required option '--kind <kind>' not specified/],
      [['source', 'add', '--org', 'x', '--kind', 'ftp', '--url', 'http://a.example'], /argument 'ftp' is invalid. Allowed choices are/],
      [['harvest'], /missing required argument 'source-id'/],
      [['preview', '--url', 'http://a.example', '--limit', '0'], /--limit must be a positive whole number/],
    ] as const) {
      const r = await parse([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(said);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
