// A local stand-in for the Bot Connector REST API (what Teams serves at a bot's `serviceUrl`), faithful to the
// public v3 API for the calls botbuilder makes for Warden: create a conversation, send an activity, reply to one and
// update one, plus the OAuth 2.0 token endpoint the bot gets its outbound token from. It records every request
// (method, path, headers, body) and answers with ids as the real service does (`ResourceResponse` `{ id }`).
//
// Reference: https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the bot made, as received. */
export interface RecordedCall {
  method: string;
  /** The decoded path, e.g. `/v3/conversations/19:abc@thread.tacv2/activities`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (or the form fields of a token request). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Which API operation it was. */
  operation:
    | 'createConversation'
    | 'sendToConversation'
    | 'replyToActivity'
    | 'updateActivity'
    | 'deleteActivity'
    | 'token'
    | 'unknown';
  conversationId?: string;
  activityId?: string;
  /** What the stand-in answered. */
  status?: number;
  response?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ConnectorStandInOptions {
  /**
   * When set, every /v3 call must carry `Authorization: Bearer <a token this stand-in issued>` (401 otherwise), as the
   * real service demands of a bot with an app id. Off by default (local-only bots send no token).
   */
  requireToken?: boolean;
  /** The status to answer the next `n` activity posts with instead (e.g. 502 to test retries). */
  failPosts?: { status: number; count: number };
}

export interface ConnectorStandIn {
  /** `http://127.0.0.1:<port>/`: what activities carry as `serviceUrl`. */
  readonly serviceUrl: string;
  /** `http://127.0.0.1:<port>/<tenant>`: `teams.endpoints.login` for a bot whose tokens come from here. */
  loginUrl(tenant: string): string;
  readonly calls: RecordedCall[];
  /** The calls of one operation, in order. */
  callsOf(operation: RecordedCall['operation']): RecordedCall[];
  /** Activities as the conversation holds them now (updates replace), by activity id. */
  activity(conversationId: string, activityId: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Tokens issued so far. */
  readonly tokens: string[];
  /** Makes the next `count` activity posts answer `status`. */
  failNextPosts(status: number, count?: number): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body?: unknown, call?: RecordedCall): void {
  if (call) {
    call.status = status;
    call.response = body;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** The Bot Connector's error body. */
function error(code: string, message: string) {
  return { error: { code, message } };
}

/** A JWT-shaped token (header.payload.signature, base64url); the signature is random, nothing checks it but us. */
function issueToken(tenant: string, clientId: string, scope: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: scope.replace(/\/\.default$/, ''),
    iss: `https://sts.windows.net/${tenant}/`,
    appid: clientId,
    tid: tenant,
    iat: now,
    nbf: now,
    exp: now + 3600,
  };
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.${Buffer.from(randomUUID()).toString('base64url')}`;
}

/** Starts the stand-in on a free loopback port. */
export async function startConnectorStandIn(
  options: ConnectorStandInOptions = {},
): Promise<ConnectorStandIn> {
  const calls: RecordedCall[] = [];
  const tokens: string[] = [];
  const conversations = new Map<string, Map<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  let failing = options.failPosts ? { ...options.failPosts } : undefined;
  let nextId = 1_700_000_000_000;
  const newActivityId = () => String((nextId += 1));

  const server = http.createServer((request, response) => {
    void (async () => {
      const raw = await readBody(request);
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const path = `/${segments.join('/')}`;
      const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      let body: unknown;
      try {
        body =
          raw === '' ? undefined : isForm ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
      } catch {
        body = raw;
      }
      const call: RecordedCall = {
        method: request.method ?? '?',
        path,
        headers: request.headers,
        body,
        operation: 'unknown',
      };
      calls.push(call);
      const answer = (res: ServerResponse, status: number, payload?: unknown) =>
        send(res, status, payload, call);

      // POST /{tenant}/oauth2/v2.0/token (client credentials), as login.microsoftonline.com.
      if (
        request.method === 'POST' &&
        segments.length === 4 &&
        segments.slice(1).join('/') === 'oauth2/v2.0/token'
      ) {
        call.operation = 'token';
        const form = (body ?? {}) as Record<string, string>;
        if (
          form.grant_type !== 'client_credentials' ||
          !form.client_id ||
          !form.client_secret ||
          !form.scope
        ) {
          answer(response, 400, {
            error: 'invalid_request',
            error_description: 'client_credentials with client_id, client_secret and scope expected',
          });
          return;
        }
        const token = issueToken(segments[0]!, form.client_id, form.scope);
        tokens.push(token);
        answer(response, 200, {
          token_type: 'Bearer',
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: token,
        });
        return;
      }

      if (segments[0] !== 'v3' || segments[1] !== 'conversations') {
        answer(response, 404, error('NotFound', `no such endpoint: ${request.method} ${path}`));
        return;
      }
      if (options.requireToken) {
        const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
        if (!presented || !tokens.includes(presented)) {
          answer(response, 401, error('Unauthorized', 'Authorization has been denied for this request.'));
          return;
        }
      }
      const [, , conversationId, collection, activityId] = segments;
      call.conversationId = conversationId;
      call.activityId = activityId;
      // A channel thread (`19:…@thread.tacv2;messageid=…`) is in its channel: its activities are the channel's.
      const channelOf = (id: string) => id.split(';messageid=')[0]!;
      const activities = (id: string) => {
        let found = conversations.get(channelOf(id));
        if (!found) conversations.set(channelOf(id), (found = new Map()));
        return found;
      };
      const failPost = () => {
        if (!failing || failing.count <= 0) return false;
        failing.count -= 1;
        answer(response, failing.status, error('ServiceError', `stand-in told to answer ${failing.status}`));
        return true;
      };

      // POST /v3/conversations: CreateConversation → ConversationResourceResponse.
      if (request.method === 'POST' && segments.length === 2) {
        call.operation = 'createConversation';
        const parameters = (body ?? {}) as {
          activity?: unknown;
          channelData?: { channel?: { id?: string } };
        };
        const channel = parameters.channelData?.channel?.id;
        const id = channel ? `${channel};messageid=${newActivityId()}` : `a:${randomUUID()}`;
        const created: Record<string, string> = { id, serviceUrl: `http://${request.headers.host}/` };
        if (parameters.activity) {
          const firstId = newActivityId();
          activities(id).set(firstId, { ...(parameters.activity as object), id: firstId });
          created.activityId = firstId;
        }
        answer(response, 201, created);
        return;
      }
      if (conversationId === undefined || collection !== 'activities' || segments.length > 5) {
        answer(response, 404, error('NotFound', `no such endpoint: ${request.method} ${path}`));
        return;
      }
      const activity = (body ?? {}) as Record<string, unknown>;
      if (request.method === 'POST' && activityId === undefined) {
        // SendToConversation → ResourceResponse.
        call.operation = 'sendToConversation';
        if (failPost()) return;
        const id = newActivityId();
        activities(conversationId).set(id, { ...activity, id });
        answer(response, 201, { id });
        return;
      }
      if (request.method === 'POST' && activityId !== undefined) {
        // ReplyToActivity → ResourceResponse.
        call.operation = 'replyToActivity';
        if (failPost()) return;
        const id = newActivityId();
        activities(conversationId).set(id, { ...activity, id, replyToId: activityId });
        answer(response, 201, { id });
        return;
      }
      if (request.method === 'PUT' && activityId !== undefined) {
        // UpdateActivity → ResourceResponse; only an activity the bot posted can be updated.
        call.operation = 'updateActivity';
        const existing = conversations.get(channelOf(conversationId));
        if (!existing?.has(activityId)) {
          answer(
            response,
            404,
            error('ActivityNotFound', `activity ${activityId} not found in conversation ${conversationId}`),
          );
          return;
        }
        existing.set(activityId, { ...activity, id: activityId });
        answer(response, 200, { id: activityId });
        return;
      }
      if (request.method === 'DELETE' && activityId !== undefined) {
        call.operation = 'deleteActivity';
        conversations.get(channelOf(conversationId))?.delete(activityId);
        answer(response, 200);
        return;
      }
      answer(response, 405, error('MethodNotAllowed', `${request.method} is not allowed on ${path}`));
    })().catch((caught: unknown) => send(response, 500, error('ServiceError', String(caught))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    serviceUrl: `${base}/`,
    loginUrl: (tenant) => `${base}/${tenant}`,
    calls,
    callsOf: (operation) => calls.filter((c) => c.operation === operation),
    activity: (conversationId, activityId) =>
      conversations.get(conversationId.split(';messageid=')[0]!)?.get(activityId),
    tokens,
    failNextPosts(status, count = 1) {
      failing = { status, count };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
