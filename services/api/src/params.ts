import { ApiError } from './errors.ts';

/** A date the pattern accepts may still not exist (2024-02-31): 400 naming the parameter. */
export function checkInstant(name: string, v: string | undefined): void {
  if (v !== undefined && Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v))) {
    throw new ApiError(400, 'invalid_parameter', `querystring parameter "${name}" is not a valid date or date-time`);
  }
}
