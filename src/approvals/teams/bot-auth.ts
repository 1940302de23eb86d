// How the Teams bot authenticates: botbuilder's ConfigurationBotFrameworkAuthentication built from `teams:` (inbound
// JWTs checked against the OpenID metadata, outbound tokens from the login authority), with every endpoint filled in
// so `teams.endpoints` can move any one of them (a sovereign cloud, or local stand-ins in tests).
import { TeamsAdapter } from '@microsoft/teams-ai';
import {
  ConfigurationServiceClientCredentialFactory,
  StatusCodes,
  type Activity,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import {
  AppCredentials,
  AuthenticationConstants,
  AuthenticationError,
  ServiceClientCredentialsFactory,
  type AuthenticateRequestResult,
  type AuthenticatorResult,
} from 'botframework-connector';
import { WardenError, errorMessage } from '../../errors.js';
import { hasAppId, isLoopbackHost, type TeamsConfig } from './config.js';

/** Outbound token requests give up after this long: a card post must not hang on the login service. */
const TOKEN_TIMEOUT_MS = 10_000;

/**
 * The settings botbuilder reads (ConfigurationBotFrameworkAuthenticationOptions and the credential factory's),
 * from `teams:`. When any endpoint is given botbuilder takes all of them as given, so each one is set here: the
 * public cloud's value unless `teams.endpoints` says otherwise.
 */
export function botFrameworkSettings(teams: TeamsConfig): Record<string, string | boolean> {
  const endpoints = teams.endpoints;
  const tenantId = (teams.tenantId ?? '').trim();
  const defaultLogin =
    teams.appType === 'SingleTenant' && tenantId !== ''
      ? `${AuthenticationConstants.ToChannelFromBotLoginUrlPrefix}${tenantId}`
      : AuthenticationConstants.ToChannelFromBotLoginUrl;
  const settings: Record<string, string | boolean> = {
    ToChannelFromBotLoginUrl: endpoints.login ?? defaultLogin,
    ToChannelFromBotOAuthScope: endpoints.oauthScope ?? AuthenticationConstants.ToChannelFromBotOAuthScope,
    ToBotFromChannelTokenIssuer: endpoints.tokenIssuer ?? AuthenticationConstants.ToBotFromChannelTokenIssuer,
    ToBotFromChannelOpenIdMetadataUrl:
      endpoints.openIdMetadata ?? AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl:
      endpoints.emulatorOpenIdMetadata ?? AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    OAuthUrl: endpoints.oauthApi ?? AuthenticationConstants.OAuthUrl,
    CallerId: endpoints.callerId ?? 'urn:botframework:azure',
    ValidateAuthority: endpoints.validateAuthority ?? true,
  };
  if (hasAppId(teams)) {
    settings.MicrosoftAppId = teams.appId!.trim();
    settings.MicrosoftAppType = teams.appType;
    if (tenantId !== '') settings.MicrosoftAppTenantId = tenantId;
    if (teams.appPassword) settings.MicrosoftAppPassword = teams.appPassword;
    if (teams.certificateThumbprint) settings.CertificateThumbprint = teams.certificateThumbprint;
    if (teams.certificatePrivateKey) settings.CertificatePrivateKey = teams.certificatePrivateKey;
  }
  return settings;
}

/**
 * The adapter for `teams:`. Without an app id botbuilder authenticates nothing (checkTeamsStartup allows that only
 * in local-only mode). A plain-HTTP login authority (a local token stand-in; MSAL refuses one) must be on loopback
 * and is used with a client-credentials request of our own; anything else goes through botbuilder's MSAL credentials.
 */
export function createTeamsAdapter(teams: TeamsConfig): TeamsAdapter {
  const settings = botFrameworkSettings(teams);
  const login = new URL(String(settings.ToChannelFromBotLoginUrl));
  let credentials: ServiceClientCredentialsFactory;
  if (hasAppId(teams) && login.protocol === 'http:') {
    if (!isLoopbackHost(login.hostname)) {
      throw new WardenError(
        'USAGE',
        `teams.endpoints.login ${login.origin} is plain HTTP: the bot's secret would cross the network in clear; use HTTPS (plain HTTP is only for a loopback stand-in in tests)`,
      );
    }
    if (!teams.appPassword) {
      throw new WardenError(
        'USAGE',
        'teams.endpoints.login on loopback HTTP works with teams.appPassword only, not a certificate',
      );
    }
    credentials = new TokenEndpointCredentialsFactory(teams.appId!.trim(), teams.appPassword);
  } else {
    try {
      credentials = new ConfigurationServiceClientCredentialFactory(settings);
    } catch (error) {
      throw new WardenError('USAGE', `teams: the bot's credentials are incomplete: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  return new WardenTeamsAdapter(settings, credentials);
}

/**
 * TeamsAdapter, answering 401 to every request that fails authentication. botbuilder rethrows jsonwebtoken's own
 * errors (a bad signature, a token not valid yet) as they are, and CloudAdapter answers those with 500.
 */
class WardenTeamsAdapter extends TeamsAdapter {
  protected override processActivity(
    authHeader: string,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined>;
  protected override processActivity(
    authenticateRequestResult: AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined>;
  protected override async processActivity(
    auth: string | AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    if (typeof auth !== 'string') return super.processActivity(auth, activity, logic);
    let authenticated: AuthenticateRequestResult;
    try {
      authenticated = await this.botFrameworkAuthentication.authenticateRequest(activity, auth);
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      throw new AuthenticationError(`Unauthorized: ${errorMessage(error)}`, StatusCodes.UNAUTHORIZED);
    }
    return super.processActivity(authenticated, activity, logic);
  }
}

/** Client-credentials tokens from `<login>/oauth2/v2.0/token` without MSAL (which refuses a plain-HTTP authority). */
class TokenEndpointCredentialsFactory extends ServiceClientCredentialsFactory {
  constructor(
    private readonly appId: string,
    private readonly secret: string,
  ) {
    super();
  }

  isValidAppId(appId: string): Promise<boolean> {
    return Promise.resolve(appId === this.appId);
  }

  isAuthenticationDisabled(): Promise<boolean> {
    return Promise.resolve(false);
  }

  createCredentials(
    appId: string,
    audience: string | undefined,
    loginEndpoint: string,
  ): Promise<AppCredentials> {
    if (appId !== this.appId) return Promise.reject(new Error('Invalid appId.'));
    const scope = audience ?? AuthenticationConstants.ToChannelFromBotOAuthScope;
    const tokenUrl = `${loginEndpoint.replace(/\/+$/, '')}/oauth2/v2.0/token`;
    return Promise.resolve(new TokenEndpointCredentials(appId, this.secret, tokenUrl, scope));
  }
}

/** A bot token from an OAuth 2.0 token endpoint (client credentials), cached per instance until shortly before expiry. */
class TokenEndpointCredentials extends AppCredentials {
  private cached: AuthenticatorResult | undefined;

  constructor(
    appId: string,
    private readonly secret: string,
    private readonly tokenUrl: string,
    scope: string,
  ) {
    super(appId, undefined, scope);
  }

  override async getToken(forceRefresh = false): Promise<string> {
    if (!forceRefresh && this.cached && this.cached.expiresOn.getTime() > Date.now()) {
      return this.cached.accessToken;
    }
    const result = await this.refreshToken();
    // Renew five minutes early, as botbuilder does.
    this.cached = { ...result, expiresOn: new Date(result.expiresOn.getTime() - 5 * 60_000) };
    return result.accessToken;
  }

  protected async refreshToken(): Promise<AuthenticatorResult> {
    const scope = this.oAuthScope.endsWith('/.default') ? this.oAuthScope : `${this.oAuthScope}/.default`;
    const response = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.appId,
        client_secret: this.secret,
        scope,
      }).toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => undefined)) as
      { access_token?: unknown; expires_in?: unknown } | undefined;
    if (!response.ok || typeof body?.access_token !== 'string') {
      throw new Error(
        `the token endpoint ${this.tokenUrl} answered ${response.status} without an access token`,
      );
    }
    const seconds = Number(body.expires_in ?? 3600);
    return {
      accessToken: body.access_token,
      expiresOn: new Date(Date.now() + (Number.isFinite(seconds) ? seconds : 3600) * 1000),
    };
  }
}
