import type { z } from 'zod';
import { ConfigError } from '@hasad/core';

/**
 * One line per zod issue of a source config: `path: message`, and for unknown keys
 * `unknown key(s): path.key, …` with each key's full path, so a nested typo
 * (`incremental.sinse`) reads the same in every source kind.
 */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const at = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') return `unknown key(s): ${i.keys.map((k) => (at === '' ? k : `${at}.${k}`)).join(', ')}`;
    return `${at || '(config)'}: ${i.message}`;
  });
}

/**
 * The ConfigError of a source config that failed its schema (`issues`) or the checks after it
 * (`details`, already worded): `invalid <kind> source config: …`, every problem at once.
 */
export function sourceConfigError(kind: string, problems: { issues?: readonly z.core.$ZodIssue[]; details?: readonly string[] }): ConfigError {
  const lines = [...describeConfigIssues(problems.issues ?? []), ...(problems.details ?? [])];
  return new ConfigError(`invalid ${kind} source config: ${lines.join('; ')}`, {
    ...(problems.issues !== undefined && { issues: problems.issues }),
    ...(problems.details !== undefined && { errors: problems.details }),
  });
}
