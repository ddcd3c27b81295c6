import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest PostgreSQL server binaries of Debian's layout (/usr/lib/postgresql/<v>/bin), if any. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

/** Whether a private cluster can be made here: the binaries, and as root a `postgres` user to run them. */
export function canRunPrivatePostgres(): boolean {
  return postgresBin() !== undefined && (process.getuid?.() !== 0 || spawnSync('id', ['postgres']).status === 0);
}

/**
 * A loopback port the operating system just handed out and that is free again. A random
 * number in a range collided with other tests' listeners (EADDRINUSE in CI); the kernel
 * does not give the same ephemeral port out again right away.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address for the probe listener');
  return address.port;
}

/**
 * A throwaway PostgreSQL cluster in a temporary directory, on a port from the OS, so that a
 * test can stop it, or move its transaction ids, without touching the shared server.
 * `destroy()` stops it and removes its directory.
 */
export class PrivatePostgres {
  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]) {
    const asPostgres = process.getuid?.() === 0;
    const cmd = asPostgres ? 'runuser' : join(this.bin, tool);
    const full = asPostgres ? ['-u', 'postgres', '--', join(this.bin, tool), ...args] : args;
    const r = spawnSync(cmd, full, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }

  /**
   * `nextXid`: the first transaction id the cluster hands out (set with `pg_resetwal -x` before
   * the first start). Kept below 1,048,576 it stays in the first commit-log segment, which
   * initdb writes only one page of: the segment is zero-filled to its full 256 KiB (32 pages of
   * 8 KiB, 4 transactions a byte), as PostgreSQL's own docs for `pg_resetwal -x` require.
   */
  static async create(opts: { nextXid?: number } = {}): Promise<PrivatePostgres> {
    const bin = postgresBin();
    if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql');
    if (opts.nextXid !== undefined && !(Number.isInteger(opts.nextXid) && opts.nextXid >= 3 && opts.nextXid < 1_048_576)) {
      throw new Error(`nextXid must be an integer from 3 to 1048575, got ${opts.nextXid}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'hasad-private-pg-'));
    chmodSync(dir, 0o777);
    if (process.getuid?.() === 0) spawnSync('chown', ['postgres', dir]);
    const pg = new PrivatePostgres(bin, dir, await freePort());
    pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']);
    if (opts.nextXid !== undefined) {
      pg.run('pg_resetwal', ['-x', String(opts.nextXid), '-D', join(dir, 'data')]);
      truncateSync(join(dir, 'data', 'pg_xact', '0000'), 262_144);
    }
    pg.start();
    return pg;
  }

  start(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(this.dir, 'server.log'), '-w', 'start']);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
