import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root, and the CLI as `npx hasad` runs it. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../packages/cli/bin/hasad.js', import.meta.url));

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** Runs `file args` from the repository's root with exactly `env`, and resolves with what it wrote once it exits. */
export function runCommand(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** `hasad ARGS` with `env` plus PATH and HOME only (no inherited DATABASE_URL or REDIS_URL). */
export function runHasad(env: Record<string, string>, args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI, ...args], { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env });
}
