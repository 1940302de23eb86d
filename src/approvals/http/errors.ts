// JSON responses of the reviewers' HTTP API, and its errors: `{ "error": { "code", "message" } }`, where the message
// says why and what to do. Handlers return these as data; nothing here throws.
import type { DecisionResult } from '../types.js';

/** What a route handler answers: a status, a JSON body and extra headers. */
export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Error codes of the API, stable for scripts; the HTTP status says the class, the code says which case. */
export type ApiErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'invalid_json'
  | 'invalid_request'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'internal';

/** The body of every error response. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string };
}

export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): ApiResponse {
  return headers ? { status, body, headers } : { status, body };
}

export function apiError(
  status: number,
  code: ApiErrorCode,
  message: string,
  headers?: Record<string, string>,
): ApiResponse {
  const body: ApiErrorBody = { error: { code, message } };
  return jsonResponse(status, body, headers);
}

const DECISION_STATUS: Record<Extract<DecisionResult, { ok: false }>['code'], number> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 422,
};

const DECISION_CODE: Record<Extract<DecisionResult, { ok: false }>['code'], ApiErrorCode> = {
  not_found: 'not_found',
  forbidden: 'forbidden',
  conflict: 'conflict',
  invalid: 'invalid_request',
};

/** A refused decision as an error response: not_found 404, forbidden 403, conflict 409, invalid 422. */
export function decisionRefused(result: Extract<DecisionResult, { ok: false }>): ApiResponse {
  return apiError(DECISION_STATUS[result.code], DECISION_CODE[result.code], result.message);
}
