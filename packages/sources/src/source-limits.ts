import { z } from 'zod';
import { sourceConfigError } from './source-config.ts';
import type { HarvestOptions, SourceAdapter } from './types.ts';

/**
 * A source's own limits, in its config under `limits` (every kind): `maxPages` and
 * `runBudgetSeconds` can only lower the global HASAD_MAX_PAGES and HASAD_RUN_BUDGET_MS (a source's
 * config is its organisation's to edit, the slots are everyone's); `minBytesPerSecond` replaces
 * HASAD_FETCH_MIN_BYTES_PER_SECOND for the source, either way (a legacy server on a slow line may
 * need a lower floor: the run budget still bounds the time it holds a slot).
 */
export const sourceLimitsSchema = z.strictObject({
  maxPages: z.number().int().min(1).optional(),
  runBudgetSeconds: z.number().int().min(1).optional(),
  minBytesPerSecond: z.number().int().min(0).optional(),
});

export type SourceLimits = z.infer<typeof sourceLimitsSchema>;

/** A kind's parsed config with the source's limits beside it. */
export interface LimitedConfig<C> {
  limits: SourceLimits;
  kind: C;
}

/** HarvestOptions with a source's limits applied over the global ones. */
export function applySourceLimits(opts: HarvestOptions, limits: SourceLimits): HarvestOptions {
  const out: HarvestOptions = { ...opts };
  if (limits.maxPages !== undefined) out.maxPages = Math.min(limits.maxPages, opts.maxPages ?? limits.maxPages);
  if (limits.runBudgetSeconds !== undefined) out.runBudgetMs = Math.min(limits.runBudgetSeconds * 1000, opts.runBudgetMs ?? Number.POSITIVE_INFINITY);
  if (limits.minBytesPerSecond !== undefined) out.http = { ...opts.http, minBytesPerSecond: limits.minBytesPerSecond };
  return out;
}

/**
 * The adapter of a kind, taking `limits` in every source config: `parseConfig` checks `limits`
 * and hands the rest to the kind's own parser (problems of both in one ConfigError), `harvest`
 * applies the limits to the options. Done once here rather than in each kind's schema.
 */
export function withSourceLimits<C>(adapter: SourceAdapter<C>): SourceAdapter<LimitedConfig<C>> {
  return {
    kind: adapter.kind,
    networkFields: adapter.networkFields,
    parseConfig(config: unknown): LimitedConfig<C> {
      const isObject = typeof config === 'object' && config !== null && !Array.isArray(config);
      if (!isObject || !('limits' in config)) return { limits: {}, kind: adapter.parseConfig(config) };
      const { limits, ...rest } = config as Record<string, unknown>;
      const parsed = sourceLimitsSchema.safeParse(limits ?? {});
      let kind: C | undefined;
      let kindError: unknown;
      try {
        kind = adapter.parseConfig(rest);
      } catch (err) {
        kindError = err;
      }
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ ...i, path: ['limits', ...i.path] }));
        const more = kindError instanceof Error ? [kindError.message.replace(/^invalid \S+ source config: /, '')] : [];
        throw sourceConfigError(adapter.kind, { issues, details: more });
      }
      if (kindError !== undefined) throw kindError;
      return { limits: parsed.data, kind: kind as C };
    },
    harvest: (opts, config) => adapter.harvest(applySourceLimits(opts, config.limits), config.kind),
    ...(adapter.describeMapping !== undefined && { describeMapping: (config: LimitedConfig<C>) => adapter.describeMapping!(config.kind) }),
  };
}
