// One implementation, in @hasad/testkit (its private PostgreSQL needs it too).
export { freePort } from '@hasad/testkit';
