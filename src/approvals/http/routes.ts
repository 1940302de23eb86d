// The reviewers' API: list and read the requests a caller reviews, and decide on them. Decisions go through the
// broker, which applies every rule (reviewer of the request, separation of duties, first final decision wins) and
// records refused attempts; this file only maps HTTP onto it.
import { z } from 'zod';
import {
  APPROVAL_STATUSES,
  type ApprovalRequestView,
  type ApprovalStatus,
  type DecisionIdentity,
  type DecisionKind,
  type DecisionResult,
} from '../types.js';
import { MAX_TEXT_CHARS } from '../decision-rules.js';
import { readJsonBody } from './body.js';
import { apiError, decisionRefused, jsonResponse, type ApiResponse } from './errors.js';
import type { Caller } from './auth.js';
import type { Route } from './server.js';
import { toReviewerView } from './view.js';

/** The channel name of the reviewers' HTTP API, recorded on its notifications and on decisions made through it. */
export const HTTP_API_CHANNEL = 'http-api';

/** The part of the broker the API uses (ApprovalBroker satisfies it). */
export interface ReviewApiBroker {
  get(id: string): ApprovalRequestView | undefined;
  list(filter?: { status?: ApprovalStatus; limit?: number }): ApprovalRequestView[];
  decide(id: string, identity: DecisionIdentity, decision: DecisionKind, comment: string): DecisionResult;
}

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 500;
/** How many requests are read from the store before keeping the caller's: enough that other teams' do not hide theirs. */
const LIST_SCAN_LIMIT = 5_000;

const DECISIONS_WORDS = '"approve", "reject" or "ask"';

/** The body of POST /api/requests/:id/decision. The broker requires a comment for reject (reason) and ask (question). */
export const decisionBodySchema = z.strictObject(
  {
    decision: z.enum(['approve', 'reject', 'ask'], {
      error: (issue) =>
        issue.input === undefined
          ? `missing: expected ${DECISIONS_WORDS}`
          : `expected ${DECISIONS_WORDS}, got ${JSON.stringify(issue.input)}`,
    }),
    comment: z
      .string({
        error:
          'expected a string (the reason when rejecting, the question when asking, optional when approving)',
      })
      .max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`)
      .optional(),
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: expected only "decision" and "comment"`;
      }
      return 'expected a JSON object {"decision": "approve" | "reject" | "ask", "comment": "…"}';
    },
  },
);

/** `field: problem; field: problem` from a zod error, naming the field and what is expected. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

function parseListQuery(
  query: URLSearchParams,
): { ok: true; status?: ApprovalStatus; limit: number } | { ok: false; response: ApiResponse } {
  const status = query.get('status');
  if (status !== null && !(APPROVAL_STATUSES as readonly string[]).includes(status)) {
    return {
      ok: false,
      response: apiError(
        422,
        'invalid_request',
        `status: expected one of ${APPROVAL_STATUSES.join(', ')}, got ${JSON.stringify(status)}`,
      ),
    };
  }
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? DEFAULT_LIST_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    return {
      ok: false,
      response: apiError(
        422,
        'invalid_request',
        `limit: expected a whole number from 1 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(rawLimit)}`,
      ),
    };
  }
  return status === null ? { ok: true, limit } : { ok: true, status: status as ApprovalStatus, limit };
}

/** The request if the caller reviews it, else the 404 or 403 to send. */
function requestFor(
  broker: ReviewApiBroker,
  id: string,
  caller: Caller,
): { ok: true; request: ApprovalRequestView } | { ok: false; response: ApiResponse } {
  const request = broker.get(id);
  if (!request) {
    return {
      ok: false,
      response: apiError(404, 'not_found', `no approval request ${id}; GET /api/requests lists yours`),
    };
  }
  if (!request.reviewers.includes(caller.reviewer.id)) {
    return {
      ok: false,
      response: apiError(
        403,
        'forbidden',
        `${caller.reviewer.id} is not a reviewer of request ${id} (its reviewers: ${request.reviewers.join(', ') || 'none'})`,
      ),
    };
  }
  return { ok: true, request };
}

/**
 * The reviewer routes: `GET /api/requests[?status=&limit=]` (the caller's requests, newest first),
 * `GET /api/requests/:id`, `POST /api/requests/:id/decision`.
 */
export function reviewerApiRoutes(broker: ReviewApiBroker): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/requests',
      auth: 'reviewer',
      handle: ({ url, caller }) => {
        const query = parseListQuery(url.query);
        if (!query.ok) return query.response;
        const filter = query.status
          ? { status: query.status, limit: LIST_SCAN_LIMIT }
          : { limit: LIST_SCAN_LIMIT };
        const requests = broker
          .list(filter)
          .filter((r) => r.reviewers.includes(caller.reviewer.id))
          .slice(0, query.limit)
          .map(toReviewerView);
        return jsonResponse(200, { requests });
      },
    },
    {
      method: 'GET',
      path: '/api/requests/:id',
      auth: 'reviewer',
      handle: ({ params, caller }) => {
        const found = requestFor(broker, params.id!, caller);
        if (!found.ok) return found.response;
        return jsonResponse(200, { request: toReviewerView(found.request) });
      },
    },
    {
      method: 'POST',
      path: '/api/requests/:id/decision',
      auth: 'reviewer',
      handle: async ({ request, params, caller }) => {
        const body = await readJsonBody(request);
        if (!body.ok) return body.response;
        const parsed = decisionBodySchema.safeParse(body.value);
        if (!parsed.success) return apiError(422, 'invalid_request', describeIssues(parsed.error));
        const identity: DecisionIdentity = {
          reviewerId: caller.reviewer.id,
          kind: 'token',
          value: caller.tokenHash,
          channel: HTTP_API_CHANNEL,
        };
        const result = broker.decide(params.id!, identity, parsed.data.decision, parsed.data.comment ?? '');
        if (!result.ok) return decisionRefused(result);
        return jsonResponse(200, { effect: result.effect, request: toReviewerView(result.request) });
      },
    },
  ];
}

/** `GET /healthz` → `{ ok: true }`, without authentication (for supervisors and load balancers). */
export function healthRoute(): Route {
  return { method: 'GET', path: '/healthz', auth: 'none', handle: () => jsonResponse(200, { ok: true }) };
}
