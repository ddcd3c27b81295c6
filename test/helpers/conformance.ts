import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/**
 * ../shared/conformance beside the project: real-world files from public projects. A user's
 * clone does not have it; tests that need it are skipped, loudly.
 */
export const CONFORMANCE_DIR = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'conformance');
export const HAVE_CONFORMANCE = existsSync(CONFORMANCE_DIR);

export function warnIfMissing(what: string): void {
  if (!HAVE_CONFORMANCE) console.warn(`SKIPPED ${what}: ${CONFORMANCE_DIR} not found (it holds the shared conformance files; see README)`);
}
