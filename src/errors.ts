// One error hierarchy for everything TypeScript answers (edge functions, webhooks).
//
// Every error leaves as `{ error: { code, message, details } }` with an HTTP status.
// Errors raised by Soko's SQL (private.raise_error) carry their stable code in the
// Postgres `hint` and JSON details in `detail`; their status follows the same SQLSTATE
// table PostgREST uses, so an app sees the same status and code whether it called an
// RPC through PostgREST or an edge function. Unknown errors are logged and become a
// bare 500: no raw exception, SQL or secret ever reaches a client.

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** An error we mean to show the client: stable code, HTTP status, safe message. */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: string, status: number, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export class ValidationError extends AppError {
  constructor(message = 'The request is not valid.', details: Record<string, unknown> = {}) {
    super('invalid_input', 400, message, details);
    this.name = 'ValidationError';
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Sign in to do this.') {
    super('not_authenticated', 401, message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.') {
    super('forbidden', 403, message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found.', details: Record<string, unknown> = {}) {
    super('not_found', 404, message, details);
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(allowed: string[]) {
    super('method_not_allowed', 405, 'This method is not allowed here.', { allowed });
    this.name = 'MethodNotAllowedError';
  }
}

/** The fields postgres.js (and node-postgres) expose on a server error. */
export interface PostgresErrorLike {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
  constraint_name?: string | undefined;
  severity?: string | undefined;
}

export function isPostgresError(error: unknown): error is PostgresErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((error as { code: string }).code) &&
    typeof (error as { severity?: unknown }).severity === 'string'
  );
}

/**
 * The HTTP status PostgREST answers a SQLSTATE with (PostgREST docs, "Errors from
 * PostgreSQL"), including `PTnnn` → nnn for errors raised with a chosen status.
 */
export function httpStatusForSqlstate(sqlstate: string, authenticated: boolean): number {
  const custom = /^PT([1-5][0-9]{2})$/.exec(sqlstate);
  if (custom) return Number(custom[1]);
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '53400': 500,
    P0001: 400,
    '42883': 404,
    '42P01': 404,
    '42P17': 500,
  };
  if (sqlstate in exact) return exact[sqlstate]!;
  if (sqlstate === '42501') return authenticated ? 403 : 401;
  const byClass: Record<string, number> = {
    '08': 503, '09': 500, '0L': 403, '0P': 403, '25': 500, '28': 403, '2D': 500, '38': 500,
    '39': 500, '3B': 500, '40': 500, '53': 503, '54': 500, '55': 500, '57': 500, '58': 500,
    F0: 500, HV: 500, P0: 500, XX: 500,
  };
  return byClass[sqlstate.slice(0, 2)] ?? 400;
}

/** Stable codes for Postgres's own errors that clients can act on. */
const SQLSTATE_CODES: Record<string, string> = {
  '42501': 'forbidden',
  '23505': 'conflict',
  '23503': 'conflict',
  '23P01': 'conflict',
  '23514': 'invalid_input',
  '23502': 'invalid_input',
  '22P02': 'invalid_input',
  '22023': 'invalid_input',
  '22001': 'invalid_input',
  '22003': 'invalid_input',
  '22007': 'invalid_input',
  '22008': 'invalid_input',
  '40001': 'retry',
  '40P01': 'retry',
  '57014': 'timeout',
};

const CATALOGUE_CODE = /^[a-z][a-z0-9_]{2,62}$/;

/**
 * Turns a database error into an AppError when it is one a client should see: a
 * catalogued Soko error, or a constraint/privilege error. Anything else is left to
 * be logged and answered with a bare 500.
 */
export function fromPostgresError(error: PostgresErrorLike, authenticated = true): AppError | undefined {
  const status = httpStatusForSqlstate(error.code, authenticated);
  if (error.hint && CATALOGUE_CODE.test(error.hint)) {
    return new AppError(error.hint, status, error.message, parseDetails(error.detail));
  }
  const code = SQLSTATE_CODES[error.code];
  if (!code || status >= 500 && code !== 'retry' && code !== 'timeout') return undefined;
  const details: Record<string, unknown> = {};
  if (error.constraint_name) details.constraint = error.constraint_name;
  const message =
    code === 'forbidden' ? 'You are not allowed to do this.'
    : code === 'conflict' ? 'This conflicts with existing data.'
    : code === 'retry' ? 'The database was busy; try again.'
    : code === 'timeout' ? 'The request took too long.'
    : 'The request is not valid.';
  const finalStatus = code === 'retry' ? 503 : code === 'timeout' ? 504 : status;
  return new AppError(code, finalStatus, message, details);
}

function parseDetails(detail: string | undefined): Record<string, unknown> {
  if (!detail) return {};
  try {
    const parsed: unknown = JSON.parse(detail);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Normalises anything thrown into an AppError, or undefined if it must stay internal. */
export function toAppError(error: unknown, authenticated = true): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isPostgresError(error)) return fromPostgresError(error, authenticated);
  return undefined;
}

export type Logger = (message: string, fields: Record<string, unknown>) => void;

const defaultLogger: Logger = (message, fields) => console.error(message, fields);

/** Renders any error as the JSON envelope; unknown errors are logged and become a bare 500. */
export function toResponse(error: unknown, options: { authenticated?: boolean; log?: Logger } = {}): Response {
  const known = toAppError(error, options.authenticated ?? true);
  if (known) return json(known.toBody(), known.status);
  (options.log ?? defaultLogger)('unhandled error', {
    name: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : String(error),
    code: isPostgresError(error) ? error.code : undefined,
  });
  return json({ error: { code: 'internal_error', message: 'Something went wrong on our side.', details: {} } }, 500);
}

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}
