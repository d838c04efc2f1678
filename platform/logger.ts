/**
 * Structured JSON logs, one object per line, always with the trace id.
 * Callers pass fields, never raw headers: secrets must not reach a log line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let minRank = RANK.info;

/** Sets the isolate's threshold from the `LOG_LEVEL` var (tests run at `error` to keep output readable). */
export function setLogLevel(level: string | undefined): void {
  if (level && level in RANK) minRank = RANK[level as LogLevel];
}

const SECRET_KEY = /authorization|api[-_]?key|secret|token|password|cookie|dsn/i;

function scrub(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : v;
  return out;
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < minRank) return;
    const line = JSON.stringify({
      level,
      message,
      time: new Date().toISOString(),
      ...scrub(base),
      ...(fields ? scrub(fields) : {}),
    });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}
