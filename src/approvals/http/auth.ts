// Bearer-token authentication of reviewers: `Authorization: Bearer <token>`, the token's sha256 compared in constant
// time with the `tokenHash` of each configured reviewer. The token itself is never stored or logged.
import { hashToken, matchTokenHash } from '../identity.js';
import type { Reviewer } from '../types.js';
import { apiError, type ApiResponse } from './errors.js';

/** An authenticated API caller: the reviewer and the hash of the token they used (recorded with decisions). */
export interface Caller {
  reviewer: Reviewer;
  /** `sha256:<hex>` of the presented token: the identity value recorded on decisions, never the token. */
  tokenHash: string;
}

export type AuthResult = { ok: true; caller: Caller } | { ok: false; response: ApiResponse };

/** Maps the `Authorization` header to a caller, or to the 401 to send. */
export type Authenticator = (authorization: string | undefined) => AuthResult;

/** RFC 6750 token68 characters; a Warden token is 43 base64url characters. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_CHARS = 512;

function unauthorized(message: string, error?: 'invalid_request' | 'invalid_token'): AuthResult {
  const challenge = error ? `Bearer realm="warden", error="${error}"` : 'Bearer realm="warden"';
  return { ok: false, response: apiError(401, 'unauthorized', message, { 'www-authenticate': challenge }) };
}

/**
 * An authenticator over the configured reviewers. Security: matchTokenHash compares every reviewer's hash in
 * constant time, so timing does not tell which hashes exist; a reviewer without `tokenHash` cannot use the API.
 */
export function createBearerAuthenticator(reviewers: readonly Reviewer[]): Authenticator {
  return (authorization) => {
    if (authorization === undefined || authorization.trim() === '') {
      return unauthorized(
        'missing Authorization header: send "Authorization: Bearer <token>" with your reviewer token (`warden review token --reviewer <id>` makes one)',
      );
    }
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined || token.length > MAX_TOKEN_CHARS) {
      return unauthorized(
        'malformed Authorization header: expected "Bearer <token>" with your reviewer token',
        'invalid_request',
      );
    }
    const reviewer = matchTokenHash(token, reviewers);
    if (!reviewer) {
      return unauthorized(
        "unknown token: it matches no reviewer's tokenHash in the config; ask the operator to add yours (`warden review token --reviewer <id>`) and restart `warden review`",
        'invalid_token',
      );
    }
    return { ok: true, caller: { reviewer, tokenHash: hashToken(token) } };
  };
}
