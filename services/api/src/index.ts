export { buildApp, type ApiDeps } from './app.ts';
export { startApi, type RunningApi } from './main.ts';
export { startOpsServer } from './ops.ts';
