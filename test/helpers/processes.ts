import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/cli/bin/hasad.js', import.meta.url));
// Enough of each child's output to see why it misbehaved, without holding a whole harvest's logs.
const KEEP_CHARS = 64 * 1024;

/** A Hasad role running in its own process, as `hasad start --role ROLE` would run it. */
export interface RoleProcess {
  readonly roles: string;
  readonly pid: number;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** The tail of what the process wrote to stdout and stderr. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, as when a container is OOM-killed or a node dies. Resolves once it is gone. */
  kill(): Promise<void>;
}

const live = new Set<RoleProcess>();

/**
 * Starts `node packages/cli/bin/hasad.js start --role ROLES` with exactly `env` (plus PATH and
 * HOME), capturing its output. Every process started here is SIGKILLed by `killAllRoles()`,
 * and when the test process exits.
 */
export function startRoleProcess(roles: string, env: Record<string, string>): RoleProcess {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'start', '--role', roles], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > KEEP_CHARS * 2) out = out.slice(-KEEP_CHARS);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const proc: RoleProcess = {
    roles,
    pid: child.pid!,
    exited,
    output: () => out.slice(-KEEP_CHARS),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      live.delete(proc);
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

/** SIGKILLs every role process still running (for afterEach/afterAll, pass or fail). */
export async function killAllRoles(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

/** The captured output of every given process, labelled, for a failure message. */
export function describeProcesses(procs: Iterable<RoleProcess | undefined>): string {
  return [...procs]
    .filter((p): p is RoleProcess => p !== undefined)
    .map((p) => `--- ${p.roles} (pid ${p.pid}) ---\n${p.output() || '(no output)'}`)
    .join('\n');
}

// A test process that dies (timeout, crash) must not leave workers consuming from Redis.
process.once('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
