// `POST /api/messages` on the review service's node:http server: the body read and parsed here (size capped), then
// handed to botbuilder's adapter as the Express-like request and response it expects. Activities from another
// tenant or with a service URL off the allow-list are refused (403) after botbuilder authenticated them.
import type { ServerResponse } from 'node:http';
import type { Activity, TurnContext } from 'botbuilder';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { readJsonBody } from '../http/body.js';
import type { Route, RouteContext } from '../http/server.js';

/** Largest accepted activity: a Teams message or card action is a few KB; 256 KB leaves room for long messages. */
export const MAX_ACTIVITY_BYTES = 256 * 1024;

/** What botbuilder's `process` needs of a request. */
export interface AdapterRequest {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  method: string;
}

/** What botbuilder's `process` needs of a response (Express/Restify style). */
export interface AdapterResponse {
  status(code: number): void;
  header(name: string, value: unknown): void;
  send(body?: unknown): void;
  end(): void;
}

/** The adapter's side: `CloudAdapter.process` (a TeamsAdapter fits). */
export interface ProcessingAdapter {
  process(
    request: AdapterRequest,
    response: AdapterResponse,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void>;
}

/** Why an authenticated activity is turned away: HTTP status and a short reason (logged, and sent back). */
export interface Refusal {
  status: number;
  reason: string;
}

export interface BotRouteOptions {
  adapter: ProcessingAdapter;
  /** The bot's turn (teams-ai `Application.run`). */
  run(context: TurnContext): Promise<unknown>;
  /** Checks an activity once botbuilder has authenticated it; a refusal stops the turn. */
  admit(activity: Activity): Refusal | undefined;
  logger: Logger;
  /** Default `/api/messages`. */
  path?: string;
  maxBodyBytes?: number;
}

/** A response object over node's, as botbuilder drives it: status, headers, then one body and the end. */
export function adaptResponse(response: ServerResponse, refused: () => Refusal | undefined): AdapterResponse {
  let status = 200;
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  let body: string | undefined;
  return {
    status(code: number) {
      status = code;
    },
    header(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    send(payload?: unknown) {
      if (payload === undefined || payload === null) return;
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
        body = payload.toString();
        headers['content-type'] ??= 'text/plain; charset=utf-8';
      } else {
        body = JSON.stringify(payload);
        headers['content-type'] = 'application/json; charset=utf-8';
      }
    },
    end() {
      if (response.headersSent) return;
      const refusal = refused();
      if (refusal) {
        status = refusal.status;
        body = JSON.stringify({ error: { code: 'refused', message: refusal.reason } });
        headers['content-type'] = 'application/json; charset=utf-8';
      }
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      response.writeHead(status, headers);
      response.end(body);
    },
  };
}

/**
 * The bot's route (auth `none`: botbuilder verifies the Bot Framework JWT itself, answering 401 when it is missing or
 * wrong). The body must be a JSON object of at most `maxBodyBytes`.
 */
export function createBotRoute(options: BotRouteOptions): Route {
  const { adapter, logger } = options;
  return {
    method: 'POST',
    path: options.path ?? '/api/messages',
    auth: 'none',
    async handle({ request, response }: RouteContext) {
      const parsed = await readJsonBody(request, options.maxBodyBytes ?? MAX_ACTIVITY_BYTES);
      if (!parsed.ok) return parsed.response;
      const body = parsed.value;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return {
          status: 400,
          body: {
            error: {
              code: 'invalid_activity',
              message: 'the body must be a Bot Framework activity (a JSON object)',
            },
          },
        };
      }
      let refusal: Refusal | undefined;
      const adapted = adaptResponse(response, () => refusal);
      await adapter.process(
        { body: body as Record<string, unknown>, headers: request.headers, method: request.method ?? 'POST' },
        adapted,
        async (context) => {
          refusal = options.admit(context.activity);
          if (refusal) {
            logger.warn(
              `teams: refused a ${context.activity.type ?? '?'} activity from ${context.activity.from?.aadObjectId ?? context.activity.from?.id ?? 'unknown'}: ${refusal.reason}`,
            );
            return;
          }
          try {
            await options.run(context);
          } catch (error) {
            // Logged here, not sent back: the caller gets a bare 500.
            logger.error(
              `teams: handling a ${context.activity.type ?? '?'} activity failed: ${errorMessage(error)}`,
            );
            refusal = {
              status: 500,
              reason: 'the bot failed to handle this activity; the review service log has the details',
            };
          }
        },
      );
      if (!response.headersSent) {
        // botbuilder always ends the response; should it not, the caller still gets an answer.
        adapted.status(500);
        adapted.end();
      }
      return undefined;
    },
  };
}
