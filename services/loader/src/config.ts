export { loadConfig, type HasadConfig } from '@hasad/core';
