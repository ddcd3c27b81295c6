export * from './lang.ts';
export * from './format.ts';
export * from './catalogue.ts';
export { PROBLEM_TEXTS } from './problems.ts';
