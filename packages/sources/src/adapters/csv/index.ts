import { ConfigError } from '@hasad/core';
import type { SourceAdapter } from '../../types.ts';

// Placeholder replaced by the csv adapter (issue 3); refuses every config so nothing half-built runs.
export const csvAdapter: SourceAdapter = {
  kind: 'csv',
  parseConfig() {
    throw new ConfigError('the csv source kind is not available yet');
  },
  harvest() {
    throw new ConfigError('the csv source kind is not available yet');
  },
};
