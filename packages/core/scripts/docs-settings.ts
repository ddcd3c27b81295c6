// Rewrites the settings table of docs/settings.md from the settings' documentation in
// packages/core/src/config.ts (npm run docs:settings); the prose around the table is kept.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsTable } from '../src/settings-doc.ts';

const file = fileURLToPath(new URL('../../../docs/settings.md', import.meta.url));
const before = readFileSync(file, 'utf8');
const after = withSettingsTable(before);
if (after === before) console.log('docs/settings.md is up to date');
else {
  writeFileSync(file, after);
  console.log('docs/settings.md: settings table rewritten');
}
