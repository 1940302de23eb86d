// The review service's HTTP server (node:http): a small route table, authentication per route, JSON responses.
// Routes are data, so a channel with its own endpoint (the Teams bot's POST /api/messages) is one more entry.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WardenError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Authenticator, Caller } from './auth.js';
import { apiError, type ApiResponse } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler gets: the raw request and response, the parsed URL and the `:name` path parameters. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: { path: string; query: URLSearchParams };
  params: Record<string, string>;
}

/**
 * A handler's answer: a JSON response, or `undefined` when the handler wrote to `context.response` itself (an
 * adapter such as botbuilder's that owns the response).
 */
export type RouteResult = ApiResponse | undefined;

interface RouteBase {
  method: HttpMethod;
  /** `/api/requests/:id/decision`: literal segments and `:name` parameters, no trailing slash. */
  path: string;
}

/**
 * One endpoint. `auth: 'reviewer'` routes are only reached with a valid reviewer bearer token (401 otherwise) and get
 * the caller; `auth: 'none'` routes do their own authentication (the Teams bot verifies Bot Framework JWTs) or need
 * none (health).
 */
export type Route =
  | (RouteBase & { auth: 'none'; handle(context: RouteContext): Promise<RouteResult> | RouteResult })
  | (RouteBase & {
      auth: 'reviewer';
      handle(context: RouteContext & { caller: Caller }): Promise<RouteResult> | RouteResult;
    });

export interface ApiServerOptions {
  routes: readonly Route[];
  authenticate: Authenticator;
  logger: Logger;
}

interface CompiledRoute {
  route: Route;
  segments: Array<{ literal: string } | { param: string }>;
}

const PARAM = /^:([A-Za-z][A-Za-z0-9_]*)$/;
const LITERAL = /^[A-Za-z0-9._~-]+$/;

/** Checks and splits route paths once, when the server is built: a bad route fails at startup, never mid-request. */
export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  const seen = new Set<string>();
  return routes.map((route) => {
    if (!route.path.startsWith('/') || (route.path.length > 1 && route.path.endsWith('/'))) {
      throw new WardenError('USAGE', `route "${route.path}": a path starts with / and has no trailing slash`);
    }
    const segments = (route.path === '/' ? [] : route.path.slice(1).split('/')).map((segment) => {
      const param = PARAM.exec(segment)?.[1];
      if (param) return { param };
      if (!LITERAL.test(segment)) {
        throw new WardenError(
          'USAGE',
          `route "${route.path}": segment "${segment}" is neither a literal (letters, digits, . _ ~ -) nor :name`,
        );
      }
      return { literal: segment };
    });
    const key = `${route.method} ${segments.map((s) => ('param' in s ? ':' : s.literal)).join('/')}`;
    if (seen.has(key)) throw new WardenError('USAGE', `route ${route.method} ${route.path} is defined twice`);
    seen.add(key);
    return { route, segments };
  });
}

function matchPath(compiled: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  if (compiled.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 1) {
    const segment = compiled.segments[i]!;
    const part = parts[i]!;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.param] = part;
    }
  }
  return params;
}

/** Splits `/a/b%20c?x=1` into decoded path segments and the query; undefined when the path is not valid UTF-8. */
function parseTarget(target: string): { path: string; parts: string[]; query: URLSearchParams } | undefined {
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
  if (!path.startsWith('/')) return undefined;
  try {
    const parts = path === '/' ? [] : path.slice(1).split('/').map(decodeURIComponent);
    return { path, parts, query };
  } catch {
    return undefined;
  }
}

/** Security: API answers are per-caller data; nothing may cache or sniff them. */
const COMMON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

function send(response: ServerResponse, answer: ApiResponse): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const body = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...COMMON_HEADERS,
    ...answer.headers,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/**
 * Routes one request: 404 for an unknown path, 405 (with `Allow`) for a known path and another method, 401 before a
 * reviewer route when the token is missing or wrong, then the handler. A handler that throws becomes a 500 whose
 * details go to the log, not to the caller.
 */
async function dispatch(
  compiled: readonly CompiledRoute[],
  options: ApiServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<{ answer: RouteResult; who?: string }> {
  const target = parseTarget(request.url ?? '/');
  if (!target) {
    return { answer: apiError(404, 'not_found', `no such endpoint: ${request.url ?? ''}`) };
  }
  const onPath = compiled
    .map((c) => ({ c, params: matchPath(c, target.parts) }))
    .filter((m): m is { c: CompiledRoute; params: Record<string, string> } => m.params !== undefined);
  if (onPath.length === 0) {
    return {
      answer: apiError(
        404,
        'not_found',
        `no such endpoint: ${target.path}; the API is GET /api/requests, GET /api/requests/:id and POST /api/requests/:id/decision`,
      ),
    };
  }
  const found = onPath.find((m) => m.c.route.method === request.method);
  if (!found) {
    const allow = [...new Set(onPath.map((m) => m.c.route.method))].join(', ');
    return {
      answer: apiError(
        405,
        'method_not_allowed',
        `${request.method ?? '?'} is not allowed on ${target.path}; use ${allow}`,
        { allow },
      ),
    };
  }
  const context: RouteContext = {
    request,
    response,
    url: { path: target.path, query: target.query },
    params: found.params,
  };
  const route = found.c.route;
  if (route.auth === 'none') return { answer: await route.handle(context) };
  const auth = options.authenticate(request.headers.authorization);
  if (!auth.ok) return { answer: auth.response };
  return { answer: await route.handle({ ...context, caller: auth.caller }), who: auth.caller.reviewer.id };
}

/** A node:http server for `routes`. Not listening yet: see listen(). */
export function createApiServer(options: ApiServerOptions): http.Server {
  const compiled = compileRoutes(options.routes);
  const { logger } = options;
  const server = http.createServer((request, response) => {
    const started = Date.now();
    dispatch(compiled, options, request, response)
      .catch((error: unknown) => {
        logger.error(`review API: ${request.method} ${request.url}: ${errorMessage(error)}`);
        return {
          answer: apiError(
            500,
            'internal',
            'the review service failed to handle this request; its log has the details, try again',
          ),
          who: undefined,
        };
      })
      .then(({ answer, who }) => {
        if (answer) send(response, answer);
        logger.debug(
          `review API: ${request.method} ${request.url} ${response.statusCode}${who ? ` (${who})` : ''} ${Date.now() - started}ms`,
        );
      })
      .catch((error: unknown) => logger.error(`review API: cannot answer: ${errorMessage(error)}`));
  });
  // Security: slow or idle clients cannot hold sockets open forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** Starts listening; resolves with the bound address (port 0 picks a free port). */
export function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const hint =
        error.code === 'EADDRINUSE'
          ? `; another process (another \`warden review\`?) uses it: stop it or set review.port / --port`
          : '';
      reject(
        new WardenError('USAGE', `review service cannot listen on ${host}:${port}: ${error.message}${hint}`, {
          cause: error,
        }),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Stops accepting connections, lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
export async function closeServer(server: http.Server, graceMs = 2_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
