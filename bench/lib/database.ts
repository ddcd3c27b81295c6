import { runMigrations } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';

/**
 * The database a bench works in: `url` (a kept one, brought to the current schema) or a new
 * scratch database, with `drop` to remove it afterwards.
 */
export async function benchDatabase(url: string | undefined): Promise<{ url: string; drop?: () => Promise<void> }> {
  if (url) {
    await runMigrations(url);
    return { url };
  }
  const t = await createTestDatabase();
  return { url: t.url, drop: t.drop };
}
