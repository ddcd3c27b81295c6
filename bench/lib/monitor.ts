import type pg from 'pg';
import type { Queue } from 'bullmq';
import { MB, readCpuSeconds, readMachineCpu, readMemory } from './proc.ts';

/** What one tracked process did during a phase. */
export interface ProcessStats {
  pid: number;
  /** Highest VmRSS seen by the 100 ms sampler, MB. */
  peakRssMb: number;
  rssStartMb: number;
  rssEndMb: number;
  /** VmHWM at the end of the phase: the kernel's own peak, cumulative since the process started, MB. */
  hwmEndMb: number;
  /** User + system CPU used during the phase, s. */
  cpuSeconds: number;
  alive: boolean;
}

/** Depth of the `load` queue over a phase (what the fetcher's back-pressure compares with its cap). */
export interface LoadQueueStats {
  samples: number;
  /** Jobs waiting (wait + prioritized + delayed + paused): mean and max. */
  pendingMean: number;
  pendingMax: number;
  activeMean: number;
  /** Share of samples with pending >= HASAD_MAX_INFLIGHT_BATCHES: the fetcher is held back by the loader. */
  atCapShare: number;
  /** Share of samples with nothing pending and nothing active: the loader waits for the fetcher. */
  idleShare: number;
}

export interface PhaseStats {
  durationMs: number;
  processes: Record<string, ProcessStats>;
  /** CPU used by the PostgreSQL backends serving each role (fetcher, loader), s. */
  postgresCpuSeconds: Record<string, number>;
  loadQueue: LoadQueueStats;
  machine: {
    cores: number;
    /** Share of all cores busy during the phase (everything on the machine), %. */
    busyPercent: number;
    /** CPU-seconds used by processes the bench does not track (other engineers' tests, Redis, ...). */
    untrackedCpuSeconds: number;
  };
  /** One row per sample: ms since phase start, RSS per process (MB), load queue pending/active. */
  series: Array<{ t: number; rss: Record<string, number>; pending: number; active: number }>;
}

interface Recorder {
  startedAt: number;
  machineStart: { busy: number; total: number };
  procStart: Map<string, { cpu: number; rss: number }>;
  peak: Map<string, number>;
  pgBaseline: Map<number, number>;
  queue: { n: number; pendingSum: number; pendingMax: number; activeSum: number; atCap: number; idle: number };
  series: PhaseStats['series'];
}

/**
 * Samples the tracked processes every `intervalMs`: RSS from /proc/PID/status, CPU from
 * /proc/PID/stat, the depth of the load queue, and the CPU of the PostgreSQL backends serving the
 * fetcher and the loader (PostgreSQL runs on this machine). A phase collects the samples taken between
 * `beginPhase()` and `endPhase()`.
 */
export class Monitor {
  private readonly procs = new Map<string, number>();
  private readonly pgCpu = new Map<number, number>();
  private readonly pgRole = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private pgTimer: NodeJS.Timeout | undefined;
  private queueBusy = false;
  private lastQueue = { pending: 0, active: 0 };
  private current: Recorder | undefined;

  constructor(
    private readonly opts: { pool: pg.Pool; dbName: string; loadQueue: Queue; inflightCap: number; intervalMs: number; cores: number },
  ) {}

  track(name: string, pid: number): void {
    this.procs.set(name, pid);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    this.pgTimer = setInterval(() => void this.refreshPgBackends(), 500);
    void this.refreshPgBackends();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.pgTimer);
  }

  beginPhase(): void {
    this.tick();
    const procStart = new Map<string, { cpu: number; rss: number }>();
    for (const [name, pid] of this.procs) procStart.set(name, { cpu: readCpuSeconds(pid) ?? 0, rss: readMemory(pid)?.rss ?? 0 });
    this.current = {
      startedAt: performance.now(),
      machineStart: readMachineCpu(),
      procStart,
      peak: new Map([...procStart].map(([k, v]) => [k, v.rss])),
      pgBaseline: new Map(this.pgCpu),
      queue: { n: 0, pendingSum: 0, pendingMax: 0, activeSum: 0, atCap: 0, idle: 0 },
      series: [],
    };
  }

  async endPhase(): Promise<PhaseStats> {
    const r = this.current;
    if (!r) throw new Error('endPhase without beginPhase');
    await this.refreshPgBackends();
    this.tick();
    this.current = undefined;
    const durationMs = performance.now() - r.startedAt;
    const processes: Record<string, ProcessStats> = {};
    let trackedCpu = 0;
    for (const [name, pid] of this.procs) {
      const mem = readMemory(pid);
      const cpu = readCpuSeconds(pid);
      const start = r.procStart.get(name) ?? { cpu: 0, rss: 0 };
      const cpuSeconds = cpu === undefined ? 0 : cpu - start.cpu;
      trackedCpu += cpuSeconds;
      processes[name] = {
        pid,
        peakRssMb: round((r.peak.get(name) ?? 0) / MB),
        rssStartMb: round(start.rss / MB),
        rssEndMb: round((mem?.rss ?? 0) / MB),
        hwmEndMb: round((mem?.hwm ?? 0) / MB),
        cpuSeconds: round(cpuSeconds),
        alive: mem !== undefined,
      };
    }
    const postgresCpuSeconds: Record<string, number> = {};
    // A backend first seen during the phase was born during it: count all of its CPU.
    for (const [pid, cpu] of this.pgCpu) {
      const used = cpu - (r.pgBaseline.get(pid) ?? 0);
      const role = this.pgRole.get(pid) ?? '?';
      postgresCpuSeconds[role] = (postgresCpuSeconds[role] ?? 0) + used;
      trackedCpu += used;
    }
    for (const k of Object.keys(postgresCpuSeconds)) postgresCpuSeconds[k] = round(postgresCpuSeconds[k]!);
    const m = readMachineCpu();
    const busy = m.busy - r.machineStart.busy;
    const total = m.total - r.machineStart.total;
    const q = r.queue;
    return {
      durationMs: Math.round(durationMs),
      processes,
      postgresCpuSeconds,
      loadQueue: {
        samples: q.n,
        pendingMean: round(q.n ? q.pendingSum / q.n : 0),
        pendingMax: q.pendingMax,
        activeMean: round(q.n ? q.activeSum / q.n : 0),
        atCapShare: round(q.n ? q.atCap / q.n : 0),
        idleShare: round(q.n ? q.idle / q.n : 0),
      },
      machine: {
        cores: this.opts.cores,
        busyPercent: round(total > 0 ? (100 * busy) / total : 0),
        untrackedCpuSeconds: round(Math.max(0, busy - trackedCpu)),
      },
      series: r.series,
    };
  }

  private tick(): void {
    const r = this.current;
    const rss: Record<string, number> = {};
    for (const [name, pid] of this.procs) {
      const mem = readMemory(pid);
      if (!mem) continue;
      rss[name] = round(mem.rss / MB);
      if (r && mem.rss > (r.peak.get(name) ?? 0)) r.peak.set(name, mem.rss);
    }
    for (const pid of this.pgCpu.keys()) {
      const cpu = readCpuSeconds(pid);
      if (cpu !== undefined) this.pgCpu.set(pid, cpu);
    }
    void this.sampleQueue();
    if (!r) return;
    const { pending, active } = this.lastQueue;
    r.series.push({ t: Math.round(performance.now() - r.startedAt), rss, pending, active });
    const q = r.queue;
    q.n++;
    q.pendingSum += pending;
    q.activeSum += active;
    q.pendingMax = Math.max(q.pendingMax, pending);
    if (pending >= this.opts.inflightCap) q.atCap++;
    if (pending === 0 && active === 0) q.idle++;
  }

  /** Reads the load queue's counts in the background; a tick uses the latest answer. */
  private async sampleQueue(): Promise<void> {
    if (this.queueBusy) return;
    this.queueBusy = true;
    try {
      const c = await this.opts.loadQueue.getJobCounts('wait', 'paused', 'delayed', 'prioritized', 'active');
      this.lastQueue = { pending: (c.wait ?? 0) + (c.paused ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0 };
    } catch {
      // A sample lost to a Redis hiccup is not worth failing the bench for.
    } finally {
      this.queueBusy = false;
    }
  }

  /**
   * Finds the PostgreSQL backends serving the fetcher and the loader (by application_name, which
   * the runtime sets to `hasad-<roles>`); pool connections come and go, so this runs every 500 ms.
   */
  private async refreshPgBackends(): Promise<void> {
    try {
      const res = await this.opts.pool.query<{ pid: number; app: string }>(
        `SELECT pid, application_name AS app FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'hasad-%'`,
        [this.opts.dbName],
      );
      for (const { pid, app } of res.rows) {
        if (this.pgCpu.has(pid)) continue;
        const cpu = readCpuSeconds(pid);
        if (cpu === undefined) continue;
        this.pgCpu.set(pid, cpu);
        this.pgRole.set(pid, app.replace(/^hasad-/, ''));
      }
    } catch {
      // Monitoring must not abort the bench.
    }
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
