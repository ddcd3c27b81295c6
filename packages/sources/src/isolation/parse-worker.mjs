// Entry point of a parsing worker thread (see parse-pool.ts). Hasad runs its TypeScript through
// tsx; a worker thread starts without the parent's module hooks on Node 20, so it registers them.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
