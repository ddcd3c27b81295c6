import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  composeBuild,
  composeCliProblems,
  composeRuleProblems,
  composeSchemaProblems,
  dockerIgnored,
  dockerignoreFile,
  imageBuildProblems,
  INFRA,
  K8S,
  kubernetesProblems,
  loadManifests,
  parseDockerfile,
  parseDockerignore,
} from './manifests.ts';

// The deployment files in infra/ are checked the way CI can without a Docker engine or a
// Kubernetes cluster: against the published schemas, and against Hasad's own rules. Each check is
// also run on a broken copy, so a check that cannot fail would show here.
const scratch = mkdtempSync(join(tmpdir(), 'hasad-infra-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const COMPOSE = join(INFRA, 'docker-compose.yml');
const composeCli = composeCliProblems(COMPOSE);
if (composeCli === undefined) console.log('SKIPPED docker compose config (neither `docker compose` nor `docker-compose` is installed); the compose file is still checked against the Compose Specification schema');

describe('infra/docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(composeSchemaProblems(parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true }))).toEqual([]);
  });

  it.skipIf(composeCli === undefined)('passes `docker compose config`', () => {
    expect(composeCli).toEqual([]);
  });

  it('a broken compose file is refused (by the schema, and by docker compose when installed)', () => {
    const broken = parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true });
    broken.services.api.ports = '8080:8080';
    broken.services.fetcher.comand = ['start'];
    const problems = composeSchemaProblems(broken);
    expect(problems.join('\n')).toMatch(/\/services\/api\/ports: must be array/);
    expect(problems.join('\n')).toMatch(/\/services\/fetcher: must NOT have additional properties .*comand/);
    if (composeCli !== undefined) {
      // Beside the original, so the build context (..) resolves the same way.
      const file = join(scratch, 'docker-compose.yml');
      writeFileSync(file, stringify(broken));
      expect(composeCliProblems(file)?.join('\n')).toMatch(/comand|ports/);
    }
  });
});

describe('infra/docker-compose.yml: Hasad’s rules', () => {
  const compose = () => parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true });

  it('runs Redis with --maxmemory-policy noeviction and --appendonly yes, and builds from a context and Dockerfile that exist', () => {
    expect(composeRuleProblems(compose())).toEqual([]);
    const args: string[] = compose().services.redis.command;
    expect(args[args.lastIndexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(args[args.lastIndexOf('--appendonly') + 1]).toBe('yes');
  });

  it.each([
    ['a Redis without either flag', (c: any) => (c.services.redis.command = ['redis-server']), [/--maxmemory-policy noeviction .*not nothing/, /--appendonly yes .*not nothing/]],
    ['a Redis that evicts', (c: any) => c.services.redis.command.push('--maxmemory-policy', 'allkeys-lru'), [/--maxmemory-policy noeviction .*not allkeys-lru/]],
    ['a Redis without an append-only file', (c: any) => (c.services.redis.command = 'redis-server --appendonly no --maxmemory-policy noeviction'), [/--appendonly yes .*not no/]],
    ['a build context that does not exist', (c: any) => (c.services.api.build = { context: '../nowhere', dockerfile: 'infra/Dockerfile' }), [/services\.api\.build: context .*nowhere does not exist/]],
  ])('refuses %s', (_what, edit, expected) => {
    const broken = compose();
    edit(broken);
    const problems = composeRuleProblems(broken).join('\n');
    for (const re of expected) expect(problems).toMatch(re);
  });
});

describe('the image: infra/Dockerfile and its .dockerignore', () => {
  const { context, dockerfile } = composeBuild(parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true }));

  it('is built from the repository root, with the root .dockerignore', () => {
    expect(context).toBe(join(INFRA, '..'));
    expect(dockerfile).toBe(join(INFRA, 'Dockerfile'));
    expect(dockerignoreFile(context, dockerfile)).toBe(join(context, '.dockerignore'));
  });

  it('builds on Node 24 LTS, installs with npm ci, starts `hasad start`, copies only what the context keeps', () => {
    expect(imageBuildProblems(context, dockerfile)).toEqual([]);
    const steps = parseDockerfile(readFileSync(dockerfile, 'utf8'));
    expect(steps.find((s) => s.keyword === 'FROM')?.args[0]).toMatch(/^node:24\b/);
    expect(steps.filter((s) => s.keyword === 'RUN').map((s) => s.raw).join('\n')).toMatch(/\bnpm ci\b/);
    const entry = steps.find((s) => s.keyword === 'ENTRYPOINT')!.args;
    const cmd = steps.find((s) => s.keyword === 'CMD')!.args;
    expect([...entry, ...cmd].join(' ')).toBe('node packages/cli/bin/hasad.js start --role all');
  });

  it('the .dockerignore leaves out node_modules (every one), bench/results, .turbo and .git, and keeps the sources', () => {
    const patterns = parseDockerignore(readFileSync(join(context, '.dockerignore'), 'utf8'));
    for (const p of ['node_modules', 'node_modules/pg/package.json', 'packages/db/node_modules', 'bench/results', 'bench/results/summary.json', '.turbo', 'services/api/.turbo', '.git', '.git/HEAD']) {
      expect(dockerIgnored(patterns, p), p).toBe(true);
    }
    for (const p of ['package.json', 'package-lock.json', 'turbo.json', 'tsconfig.base.json', 'packages/cli/bin/hasad.js', 'services/api/src/main.ts', 'bench/harvest.bench.ts']) {
      expect(dockerIgnored(patterns, p), p).toBe(false);
    }
  });

  /** A copy of the Dockerfile (and of the .dockerignore) with `edit` applied, checked against the real context. */
  function brokenImage(editDockerfile: (text: string) => string, editIgnore: (text: string) => string = (t) => t): string[] {
    const dir = mkdtempSync(join(scratch, 'image-'));
    const df = join(dir, 'Dockerfile');
    writeFileSync(df, editDockerfile(readFileSync(dockerfile, 'utf8')));
    writeFileSync(join(dir, '.dockerignore'), editIgnore(readFileSync(join(context, '.dockerignore'), 'utf8')));
    return imageBuildProblems(context, df, join(dir, '.dockerignore'));
  }

  it.each([
    ['another Node', (t: string) => t.replace(/^FROM node:24\S*/m, 'FROM node:18-bookworm-slim'), undefined, /FROM node:18-bookworm-slim is not Node 24 LTS/],
    ['npm install instead of npm ci', (t: string) => t.replace('npm ci', 'npm install'), undefined, /no RUN npm ci/],
    ['a container that only migrates', (t: string) => t.replace(/^CMD .*$/m, 'CMD ["migrate"]'), undefined, /runs "packages\/cli\/bin\/hasad.js migrate", not "hasad start"/],
    ['an entrypoint that is not Hasad', (t: string) => t.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["node", "server.js"]'), undefined, /does not run the hasad CLI/],
    ['a COPY of a file the context lacks', (t: string) => t.replace('turbo.json', 'turbo.json nx.json'), undefined, /COPY nx.json: not in the build context/],
    ['a .dockerignore that keeps .git', (t: string) => t, (t: string) => t.replace(/^\.git$/m, ''), /does not leave out \.git/],
    ['a .dockerignore that keeps nested node_modules', (t: string) => t, (t: string) => t.replace('**/node_modules', 'node_modules'), /does not leave out packages\/db\/node_modules/],
    ['a .dockerignore that leaves out what the Dockerfile copies', (t: string) => t, (t: string) => `${t}\nservices\n`, /COPY services: left out of the context by .dockerignore/],
  ])('refuses %s', (_what, editDockerfile, editIgnore, expected) => {
    expect(brokenImage(editDockerfile, editIgnore).join('\n')).toMatch(expected);
  });
});

describe('infra/k8s', () => {
  it('every manifest is valid against the Kubernetes API schema of its kind and follows Hasad’s rules', () => {
    expect(kubernetesProblems()).toEqual([]);
  });

  it('holds a Deployment per role, the migration Job, the Services, budgets, config and secret', () => {
    const { manifests } = loadManifests();
    const names = manifests.map((m) => `${m.doc.kind}/${m.doc.metadata.name}`).sort();
    expect(names).toEqual(
      [
        'ConfigMap/hasad-config',
        'Deployment/hasad-api',
        'Deployment/hasad-fetcher',
        'Deployment/hasad-loader',
        'Deployment/hasad-scheduler',
        'Job/hasad-migrate',
        'Namespace/hasad',
        'PodDisruptionBudget/hasad-api',
        'PodDisruptionBudget/hasad-fetcher',
        'PodDisruptionBudget/hasad-loader',
        'PodDisruptionBudget/hasad-scheduler',
        'Secret/hasad-secrets',
        'Service/hasad-api',
        'Service/hasad-ops',
      ].sort(),
    );
  });

  /** A copy of infra/k8s with `edit` applied to one file's documents. */
  function brokenCopy(file: string, edit: (docs: any[]) => void): string {
    const dir = mkdtempSync(join(scratch, 'k8s-'));
    cpSync(K8S, dir, { recursive: true });
    const path = join(dir, file);
    const docs = readFileSync(path, 'utf8')
      .split(/^---$/m)
      .map((d) => parseYaml(d));
    edit(docs);
    writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
    return dir;
  }

  it.each([
    ['a wrong type (replicas: "two")', 'fetcher.yaml', (d: any[]) => (d[0].spec.replicas = 'two'), /Deployment\/hasad-fetcher: .*replicas must be integer/],
    ['a bad quantity', 'loader.yaml', (d: any[]) => (d[0].spec.template.spec.containers[0].resources.limits.memory = 'lots'), /Deployment\/hasad-loader: .*memory must match format "quantity"/],
    ['a missing readiness probe', 'loader.yaml', (d: any[]) => delete d[0].spec.template.spec.containers[0].readinessProbe, /Deployment\/hasad-loader: readinessProbe must GET \/readyz/],
    ['a probe on the wrong port', 'scheduler.yaml', (d: any[]) => (d[0].spec.template.spec.containers[0].livenessProbe.httpGet.port = 8080), /livenessProbe port 8080 is not the port the process listens on \(9090\)/],
    ['a heap cap above the limit', 'fetcher.yaml', (d: any[]) => (d[0].spec.template.spec.containers[0].env[0].value = '--max-old-space-size=4096'), /heap cap 4096 MiB not below the memory limit 3584 MiB/],
    ['parsing workers that do not fit under the limit', 'fetcher.yaml', (d: any[]) => (d[0].spec.template.spec.containers[0].env = d[0].spec.template.spec.containers[0].env.filter((e: any) => e.name !== 'HASAD_PARSE_HEAP_MB')), /Deployment\/hasad-fetcher: heap cap 1024 MiB \+ 2 parsing workers × \(HASAD_PARSE_HEAP_MB 2048 \+ HASAD_PARSE_YOUNG_MB 32\) MiB = 5184 MiB, not below the memory limit 3584 MiB/],
    ['preview workers that do not fit under the API\'s limit', 'api.yaml', (d: any[]) => (d[0].spec.template.spec.containers[0].resources.limits.memory = '512Mi'), /Deployment\/hasad-api: heap cap 320 MiB \+ 2 parsing workers × \(HASAD_PARSE_HEAP_MB 96 \+ HASAD_PARSE_YOUNG_MB 32\) MiB = 576 MiB, not below the memory limit 512 MiB/],
    ['a grace period shorter than the shutdown grace', 'fetcher.yaml', (d: any[]) => (d[0].spec.template.spec.terminationGracePeriodSeconds = 20), /terminationGracePeriodSeconds 20 s not above HASAD_SHUTDOWN_GRACE_MS 25000 ms/],
    ['a misspelt setting', 'config.yaml', (d: any[]) => (d[0].data.HASAD_QUEUE_PREFIXX = '{x}'), /setting HASAD_QUEUE_PREFIXX: not a Hasad setting/],
    ['a Service selecting nothing', 'ops-service.yaml', (d: any[]) => (d[0].spec.selector = { 'app.kubernetes.io/name': 'hasad', 'hasad.ma/ops': 'nope' }), /Service\/hasad-ops: its selector matches no pod template/],
    ['an unknown kind', 'pdb.yaml', (d: any[]) => (d[0].apiVersion = 'policy/v1beta7'), /no schema for apiVersion policy\/v1beta7/],
  ])('refuses %s', (_what, file, edit, expected) => {
    expect(kubernetesProblems(brokenCopy(file, edit)).join('\n')).toMatch(expected);
  });

  it('refuses a manifest file missing from kustomization.yaml', () => {
    const dir = brokenCopy('namespace.yaml', () => undefined);
    writeFileSync(join(dir, 'extra.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n');
    expect(kubernetesProblems(dir)).toContain('extra.yaml: not listed in kustomization.yaml resources');
  });
});
