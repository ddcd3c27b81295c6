import { CommanderError } from 'commander';
import { HasadError } from '@hasad/core';
import { buildProgram, EXIT_FAILED, servesUntilSignal } from './program.ts';

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return process.exit(0);
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already written the message (or the help) to the terminal.
      process.exit(err.exitCode);
    }
    if (err instanceof HasadError && !debug) process.stderr.write(`hasad: ${err.message}\n`);
    else if (debug) process.stderr.write(`hasad: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    else process.stderr.write(`hasad: ${err instanceof Error ? err.message : String(err)}\n(run again with --debug for the stack trace)\n`);
    process.exit(EXIT_FAILED);
  }
  if (!servesUntilSignal()) process.exit(process.exitCode ?? 0);
}

void main(process.argv.slice(2));
