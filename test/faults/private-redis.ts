import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/free-port.ts';

/** True when a `redis-server` binary is on the PATH. */
export const HAVE_REDIS_SERVER = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * A redis-server of the test's own, without persistence (`--save ""`, `--appendonly no`), on a
 * port the OS handed out, run as a child process: `crash()` kills it with SIGKILL and
 * `start()` brings up an empty one on the same port, as when Redis restarts and its data is
 * gone. The shared Redis on 6379 is never touched.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async create(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'hasad-faults-redis-')));
    started.add(r);
    await r.start();
    return r;
  }

  /** Starts the server and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child) throw new Error('private redis already running');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (b: Buffer) => {
      this.log = (this.log + b.toString('utf8')).slice(-8192);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not listening yet
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline || !this.child) throw new Error(`private redis-server on ${this.port} did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: everything in memory (jobs, locks, queued batches) is lost. Resolves once it is gone. */
  async crash(): Promise<void> {
    const c = this.child;
    if (!c) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await gone;
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.crash();
    started.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// A test process that dies must not leave its redis-server behind (crash() signals synchronously).
const started = new Set<PrivateRedis>();
process.once('exit', () => {
  for (const r of started) void r.crash();
});
