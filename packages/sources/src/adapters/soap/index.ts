import { ConfigError } from '@hasad/core';
import type { SourceAdapter } from '../../types.ts';

// Placeholder replaced by the soap adapter (issue 3); refuses every config so nothing half-built runs.
export const soapAdapter: SourceAdapter = {
  kind: 'soap',
  parseConfig() {
    throw new ConfigError('the soap source kind is not available yet');
  },
  harvest() {
    throw new ConfigError('the soap source kind is not available yet');
  },
};
