export { startScheduler } from './main.ts';
export { reconcileSchedules, repairOrphanRuns, type SchedulerDeps } from './reconcile.ts';
