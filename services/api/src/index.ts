export { buildApp, type ApiDeps } from './app.ts';
export { startApi, type RunningApi } from './main.ts';
export { loadConfig, type HasadConfig } from './config.ts';
export { startOpsServer } from './ops.ts';
