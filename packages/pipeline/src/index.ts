export * from './finalise.ts';
export * from './trigger.ts';
