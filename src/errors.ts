// The one error class Warden throws: a string code plus a message that names the file, the key or the rule, and the fix.

/** Error codes, grouped by the part of Warden that raises them. */
export type WardenErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'CONFIG_ENV_MISSING'
  | 'POLICY_NOT_FOUND'
  | 'POLICY_PARSE'
  | 'POLICY_INVALID'
  | 'POLICY_UNSAFE_REGEX'
  | 'AUDIT_OPEN'
  | 'AUDIT_CORRUPT'
  | 'AUDIT_WRITE'
  | 'APPROVALS_OPEN'
  | 'APPROVALS_WRITE'
  | 'DOWNSTREAM_START'
  | 'DOWNSTREAM_UNAVAILABLE'
  | 'DOWNSTREAM_CRASHED'
  | 'DOWNSTREAM_TIMEOUT'
  | 'UNKNOWN_TOOL'
  | 'ARGUMENTS_TOO_LARGE'
  | 'INVALID_ARGUMENTS'
  | 'INIT'
  | 'USAGE';

/** Source location of a problem in a file the operator edits (1-based line and column). */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export class WardenError extends Error {
  override readonly name = 'WardenError';
  readonly code: WardenErrorCode;
  readonly location?: SourceLocation;

  constructor(
    code: WardenErrorCode,
    message: string,
    options: { cause?: unknown; location?: SourceLocation } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.location) this.location = options.location;
  }
}

/** `file:line:column` for messages, omitting the parts that are unknown. */
export function formatLocation(location: SourceLocation): string {
  let text = location.file;
  if (location.line !== undefined) {
    text += `:${location.line}`;
    if (location.column !== undefined) text += `:${location.column}`;
  }
  return text;
}

/** The message of anything thrown, for logs and error results. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
