import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { envSchema } from '@hasad/core';

/** One Hasad role (`hasad start --role <role>`) running as a child process. */
export interface RoleProcess {
  role: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process exits, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the process wrote to stderr (a crash, a heap-limit abort). */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/**
 * The environment a role gets: the bench's own environment without any Hasad variable (so a
 * developer's shell settings cannot skew the figures), plus `env`. The run budget is raised to an
 * hour: a bench harvests catalogues far bigger than one source should be in production, and
 * measures them rather than cutting them off (HASAD_RUN_BUDGET_MS defaults to 5 minutes).
 */
export function roleEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!(k in envSchema.shape)) out[k] = v;
  return { ...out, HASAD_RUN_BUDGET_MS: '3600000', ...env };
}

/**
 * Starts `node [nodeArgs] packages/cli/bin/hasad.js start --role <role>`; stdout and stderr go to
 * `logFile`. `nodeArgs` is for flags NODE_OPTIONS refuses (`--cpu-prof`).
 */
export function startRole(root: string, role: string, env: NodeJS.ProcessEnv, logFile: string, nodeArgs: string[] = []): RoleProcess {
  const child = spawn(process.execPath, [...nodeArgs, 'packages/cli/bin/hasad.js', 'start', '--role', role], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start the ${role}`);
  const log = createWriteStream(logFile);
  let tail = '';
  child.stdout.pipe(log, { end: false });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      // Let the pipes drain before the log file is closed.
      setTimeout(() => log.end(), 100);
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    role,
    pid: child.pid,
    child,
    logFile,
    exited,
    stderrTail: () => tail,
    async stop(graceMs) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
