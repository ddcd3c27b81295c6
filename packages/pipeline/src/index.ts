export * from './finalise.ts';
export * from './trigger.ts';
export * from './notify.ts';
export * from './cancel.ts';
export * from './schedule.ts';
