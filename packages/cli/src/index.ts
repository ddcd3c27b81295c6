export * from './commands.ts';
export * from './runtime.ts';
