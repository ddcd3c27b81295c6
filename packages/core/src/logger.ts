import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON to stdout (or to `destination`: tests read what was logged); pretty only on a TTY.
 * Credentials in URLs and headers are redacted.
 */
export function createLogger(name: string, level = 'info', destination?: DestinationStream): Logger {
  const pretty = !destination && process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  const options = {
    name,
    level,
    redact: { paths: ['*.authorization', '*.password', '*.token', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Hides the password of a connection URL for logs and printed summaries. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * A source config as an operator or reviewer may see it: values under keys that look like
 * credentials are hidden, URLs lose their user:password. The rest is shown whole, so a
 * reviewer sees every address the config makes Hasad connect to.
 */
export function redactConfig(v: unknown, key = ''): unknown {
  if (/pass|secret|token|auth|key|cookie|credential/i.test(key) && v !== null && typeof v !== 'object') return '••••••';
  if (Array.isArray(v)) return v.map((x) => redactConfig(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactConfig(x, k)]));
  if (typeof v === 'string' && /^https?:\/\//i.test(v)) return redactUrl(v);
  return v;
}
