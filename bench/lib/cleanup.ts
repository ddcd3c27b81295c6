/**
 * Cleanup steps (stop the roles, drop the database, delete the queue keys) run once, in reverse
 * order of registration, on the normal path or on SIGINT/SIGTERM: a signal and the normal path
 * share the same promise, so neither can exit the process while the other is still dropping
 * the database. On a signal the process exits 130 once they are done.
 */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];
  private running: Promise<void> | undefined;
  /** True once a signal arrived. */
  interrupted = false;

  constructor() {
    const onSignal = () => {
      if (this.interrupted) return;
      this.interrupted = true;
      console.error('\ninterrupted: stopping the roles, dropping the database and the queue keys');
      void this.run().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  push(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    return (this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step();
        } catch (err) {
          console.error(`cleanup: ${(err as Error).message}`);
        }
      }
    })());
  }
}
