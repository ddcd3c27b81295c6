export * from './finalise.ts';
