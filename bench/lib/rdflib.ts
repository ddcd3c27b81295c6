import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The reference: Python's rdflib, which CKAN's ckanext-dcat parses every harvested feed with.
 * Debian's package (`python3-rdflib`) installs it for the system interpreter only, so every call
 * goes to /usr/bin/python3, whatever `python3` the PATH finds first (pyenv, a venv).
 */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** rdflib's version, installing `python3-rdflib` with apt-get first when it is missing. */
export function ensureRdflib(log: (line: string) => void): string {
  const version = () => execFileSync(SYSTEM_PYTHON, ['-c', 'import rdflib; print(rdflib.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return version();
  } catch {
    log('rdflib missing for /usr/bin/python3: apt-get install -y python3-rdflib');
    const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
    const run = (cmd: string[]) => execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    try {
      run([...asRoot, 'apt-get', 'install', '-y', '-q', 'python3-rdflib']);
    } catch {
      // A fresh machine may have no package lists yet.
      run([...asRoot, 'apt-get', 'update', '-q']);
      run([...asRoot, 'apt-get', 'install', '-y', '-q', 'python3-rdflib']);
    }
    return version();
  }
}

/** Writes the feed's pages, byte for byte what Hasad was served, one file each; returns the paths. */
export function writePages(dir: string, pages: Buffer[], ext: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return pages.map((body, i) => {
    const file = join(dir, `page-${String(i + 1).padStart(5, '0')}.${ext}`);
    writeFileSync(file, body);
    return file;
  });
}

export interface RdflibTiming {
  version: string;
  format: string;
  files: number;
  bytes: number;
  /** Wall time of the parses alone (time.perf_counter around them), s. */
  parseSeconds: number;
  /** CPU time of the parses (time.process_time), s. */
  cpuSeconds: number;
  triples: number;
  /** ru_maxrss of the Python process, MB. */
  maxRssMb: number;
}

// Each page is parsed into a graph of its own, as ckanext-dcat's harvester does (one page per
// gather step), so that the figure is parsing and not the growth of one big in-memory graph.
// Reading the file is inside the timer too: Hasad's figure includes receiving the bytes.
const SCRIPT = `
import json, resource, sys, time
import rdflib
fmt = sys.argv[1]
files = sys.argv[2:]
triples = 0
w0 = time.perf_counter(); c0 = time.process_time()
for f in files:
    g = rdflib.Graph()
    g.parse(f, format=fmt)
    triples += len(g)
    del g
w1 = time.perf_counter(); c1 = time.process_time()
print(json.dumps({"version": rdflib.__version__, "parseSeconds": w1 - w0, "cpuSeconds": c1 - c0, "triples": triples,
                  "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

const running = new Set<ChildProcess>();

/** Kills the Python processes still parsing (the bench was interrupted). */
export function stopRdflib(): void {
  for (const c of running) c.kill('SIGKILL');
}

/** Times rdflib parsing `files` in one Python process (`format`: rdflib's name, `turtle` or `xml`). */
export function timeRdflib(files: string[], format: 'turtle' | 'xml', bytes: number): Promise<RdflibTiming> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', SCRIPT, format, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      running.delete(child);
      if (code !== 0) return reject(new Error(`rdflib exited with ${code}: ${err.trim()}`));
      try {
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as Omit<RdflibTiming, 'format' | 'files' | 'bytes'>;
        resolve({ ...r, format, files: files.length, bytes });
      } catch (e) {
        reject(new Error(`rdflib printed no result: ${out.slice(-500)} ${err}`, { cause: e }));
      }
    });
  });
}
