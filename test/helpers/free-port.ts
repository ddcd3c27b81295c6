import { createServer } from 'node:net';

/**
 * A loopback port the operating system just handed out and that is free again. A random
 * number in a range collided with other tests' listeners (EADDRINUSE in CI); the kernel
 * does not give the same ephemeral port out again right away.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address for the probe listener');
  return address.port;
}
