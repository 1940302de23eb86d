// Diagnostics for operators. Always stderr: in `warden serve`, stdout carries the MCP protocol and nothing else.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger writing `warden: <level>: <message>` lines to the given stream (stderr by default). */
export function createLogger(
  level: LogLevel = 'info',
  stream: { write(text: string): unknown } = process.stderr,
): Logger {
  const threshold = LEVEL_ORDER[level];
  const emit = (at: Exclude<LogLevel, 'silent'>, message: string) => {
    if (LEVEL_ORDER[at] >= threshold) stream.write(`warden: ${at}: ${message}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

/** A logger that drops everything (tests, library use). */
export const SILENT_LOGGER: Logger = createLogger('silent');
