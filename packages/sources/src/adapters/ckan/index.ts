import { ConfigError } from '@hasad/core';
import type { SourceAdapter } from '../../types.ts';

// Placeholder replaced by the ckan adapter (issue 3); refuses every config so nothing half-built runs.
export const ckanAdapter: SourceAdapter = {
  kind: 'ckan',
  parseConfig() {
    throw new ConfigError('the ckan source kind is not available yet');
  },
  harvest() {
    throw new ConfigError('the ckan source kind is not available yet');
  },
};
