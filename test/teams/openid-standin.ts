// A local stand-in for the Bot Framework's token signing service, so tests can exercise botbuilder's real inbound
// JWT checks without the network. It serves what botbuilder reads (an OpenID configuration document and its JWKS,
// shaped like https://login.botframework.com/v1/.well-known/openidconfiguration) and signs RS256 tokens the way the
// Bot Connector signs the requests it sends to a bot: `iss` https://api.botframework.com, `aud` the bot's app id,
// `serviceurl` the activity's serviceUrl, a 60-minute lifetime and a key endorsed for the channel (`msteams`).
//
// Two RSA keys are made at start: the trusted one, published in the JWKS, and an unknown one, never published. A
// token signed with the unknown key carries the trusted key's `kid` by default: a forger who copies the header of
// a real token, so only the signature is wrong.
import { createHash, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The issuer botbuilder expects on tokens from Bot Framework channels (AuthenticationConstants). */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

/** The path botbuilder's default metadata URL uses; the stand-in serves it the same way. */
export const OPENID_CONFIGURATION_PATH = '/v1/.well-known/openidconfiguration';

/** The JWKS path named in the configuration document (as the real service's `jwks_uri`), and a short alias. */
export const JWKS_PATH = '/v1/.well-known/keys';
export const JWKS_ALIAS_PATH = '/keys';

/** What a JWKS entry looks like here: an RSA public key with the Bot Framework's `endorsements` list. */
export interface StandInJwk extends JsonWebKey {
  kid: string;
  kty: 'RSA';
  use: 'sig';
  n: string;
  e: string;
  endorsements: string[];
}

export interface SignOptions {
  /** `trusted` (default): the published key. `unknown`: a key botbuilder has never seen. */
  key?: 'trusted' | 'unknown';
  /** The `kid` header. Default: the trusted key's kid, whichever key signs (see the file header). */
  kid?: string;
  /** The `alg` header; RS256 unless a test wants to lie about it. `none` makes an unsigned token. */
  alg?: 'RS256' | 'none';
}

/** Claims of a token as the Bot Connector sends it to a bot. `now` and `lifetimeSeconds` shape nbf/exp. */
export interface ChannelTokenClaims {
  appId: string;
  serviceUrl: string;
  issuer?: string;
  /** Seconds since the epoch; default: now. */
  now?: number;
  /** Default 3600 (the Bot Connector's tokens live an hour). */
  lifetimeSeconds?: number;
}

export interface OpenIdStandIn {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The OpenID configuration document's URL: what `teams.endpoints.openIdMetadata` should point at. */
  readonly metadataUrl: string;
  readonly jwksUrl: string;
  /** The issuer the configuration document names (https://api.botframework.com unless changed). */
  readonly issuer: string;
  /** The trusted key's id. */
  readonly kid: string;
  /** The JWKS as served (public keys only). */
  readonly jwks: { keys: StandInJwk[] };
  /** Paths requested so far, in order: shows that botbuilder really fetched the metadata and the keys. */
  readonly requests: string[];
  /** A compact JWS over `claims`, signed as `options` says. */
  signToken(claims: Record<string, unknown>, options?: SignOptions): string;
  /** A valid Bot Connector token for this app id and serviceUrl, signed with the trusted key. */
  channelToken(claims: ChannelTokenClaims, options?: SignOptions): string;
  close(): Promise<void>;
}

export interface OpenIdStandInOptions {
  /** The `issuer` of the configuration document (default https://api.botframework.com). */
  issuer?: string;
  /** The channels the trusted key is endorsed for (default ["msteams"]). */
  endorsements?: string[];
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** The standard claims of a Bot Connector → bot token (as observed on real Teams traffic). */
export function channelTokenClaims(claims: ChannelTokenClaims): Record<string, unknown> {
  const now = claims.now ?? Math.floor(Date.now() / 1000);
  return {
    serviceurl: claims.serviceUrl,
    nbf: now - 5,
    exp: now + (claims.lifetimeSeconds ?? 3600),
    iss: claims.issuer ?? BOT_FRAMEWORK_ISSUER,
    aud: claims.appId,
  };
}

function rsaKey(): { privateKey: KeyObject; publicJwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
}

function signCompact(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key?: KeyObject,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  if (!key) return `${input}.`;
  return `${input}.${base64url(sign('sha256', Buffer.from(input), key))}`;
}

/**
 * Starts the stand-in on 127.0.0.1 (a free port). Close it after the test. It answers GET on the configuration
 * document and the JWKS, 404 otherwise, and records every path asked for.
 */
export async function startOpenIdStandIn(options: OpenIdStandInOptions = {}): Promise<OpenIdStandIn> {
  const trusted = rsaKey();
  const unknown = rsaKey();
  // Like the real service's kids: a thumbprint of the key.
  const kid = createHash('sha256')
    .update(trusted.publicJwk.n ?? '')
    .digest('base64url')
    .slice(0, 27);
  const issuer = options.issuer ?? BOT_FRAMEWORK_ISSUER;
  const jwks = {
    keys: [
      {
        ...trusted.publicJwk,
        kty: 'RSA',
        use: 'sig',
        kid,
        n: trusted.publicJwk.n!,
        e: trusted.publicJwk.e!,
        endorsements: options.endorsements ?? ['msteams'],
      } satisfies StandInJwk,
    ],
  };
  const requests: string[] = [];
  let base = '';

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    requests.push(path);
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    };
    if (request.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (path === OPENID_CONFIGURATION_PATH) {
      return json(200, {
        issuer,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${base}${JWKS_PATH}`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (path === JWKS_PATH || path === JWKS_ALIAS_PATH) return json(200, jwks);
    return json(404, { error: `no such path: ${path}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  const signToken = (claims: Record<string, unknown>, signOptions: SignOptions = {}): string => {
    const alg = signOptions.alg ?? 'RS256';
    const header = { alg, typ: 'JWT', kid: signOptions.kid ?? kid };
    if (alg === 'none') return signCompact(header, claims);
    const key = signOptions.key === 'unknown' ? unknown.privateKey : trusted.privateKey;
    return signCompact(header, claims, key);
  };

  return {
    url: base,
    metadataUrl: `${base}${OPENID_CONFIGURATION_PATH}`,
    jwksUrl: `${base}${JWKS_PATH}`,
    issuer,
    kid,
    jwks,
    requests,
    signToken,
    channelToken: (claims, signOptions) => signToken(channelTokenClaims(claims), signOptions),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
