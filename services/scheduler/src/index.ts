export { startScheduler } from './main.ts';
export { reconcileSchedules, repairOrphanRuns, type SchedulerDeps } from './reconcile.ts';
export { checkSchedule, formatDuration, scheduleMinGapMs, toRepeat, stableFraction } from './schedule.ts';
export { pruneRunHistory } from './retention.ts';
