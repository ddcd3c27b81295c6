export * from './commands.ts';
export * from './runtime.ts';
export { buildProgram } from './program.ts';
