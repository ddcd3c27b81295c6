import fs from 'node:fs';
import { generateTurtlePage } from '../test/support/dcat-generator.ts';
const n = Number(process.argv[2]); const out = fs.createWriteStream(process.argv[3]);
// write in slices to avoid one giant string
const step = 5000;
const header = generateTurtlePage(0).trimEnd();
for (let i = 0; i < n; i += step) { const t = generateTurtlePage(step, i); out.write(i === 0 ? t : t.split('\n').filter(l => !l.startsWith('@prefix') && !l.startsWith('ex:agency-')).join('\n') + '\n'); }
out.end();
