// The review service (`warden review`, or inside `warden serve`): runs the approval channels against the shared
// database. It expires overdue requests, tells reviewers about new ones (failing a request closed when they cannot be
// told), keeps channels' cards current, and serves the reviewers' HTTP API. The database is the queue: any number of
// gateways on the machine create requests and poll them; decisions made here reach them through it.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { nanoid } from 'nanoid';
import { openAuditStore, type AuditStore } from '../audit/index.js';
import type { WardenConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { SILENT_LOGGER, type Logger } from '../log.js';
import { openApprovalBroker, type ApprovalBroker, type AuditSink } from './broker.js';
import { GATEWAY_HEARTBEAT_MS, GATEWAY_STALE_MS, processAlive } from './gateway-liveness.js';
import { httpApiChannel, type ApprovalChannel, type ChannelFactory, type ChannelNotice } from './channel.js';
import { createBearerAuthenticator } from './http/auth.js';
import { healthRoute } from './http/routes.js';
import { closeServer, createApiServer, listen, type Route } from './http/server.js';
import { reviewersFromConfig } from './identity.js';
import { teamsChannel } from './teams/factory.js';
import type { ApprovalRequestView, Reviewer } from './types.js';

export interface ReviewServiceOptions {
  config: WardenConfig;
  /** Diagnostics; never stdout (the service may run inside `warden serve`). Silent by default. */
  logger?: Logger;
  /** Overrides `config.review.host` (`--host`). */
  host?: string;
  /** Overrides `config.review.port` (`--port`); 0 picks a free port (see `address`). */
  port?: number;
  /** The channels to run, each built once the broker is open. Default: defaultChannels(config). */
  channels?: readonly ChannelFactory[];
  /** Where approval events go. Default: an audit store of the service's own on `config.database`. */
  audit?: AuditSink;
  /** How often to sweep, notify and update, in ms (default 250). */
  tickMs?: number;
  /** How often to tell gateways the service is alive, in ms (default 1000). */
  heartbeatMs?: number;
  /** Waits between notify attempts; attempts = length + 1 (default [200, 400]: 3 attempts). */
  notifyRetryDelaysMs?: readonly number[];
  /** Longest one notify attempt may take before it counts as failed, in ms (default 10 000). */
  notifyTimeoutMs?: number;
  /** Clock for the broker (tests). */
  now?: () => Date;
}

/** Default waits between notify attempts: three attempts, backing off. */
export const NOTIFY_RETRY_DELAYS_MS: readonly number[] = [200, 400];
const DEFAULT_TICK_MS = 250;
const DEFAULT_HEARTBEAT_MS = 1_000;
/** The shortest time without a heartbeat after which another service takes over a service's posts. */
const MIN_CLAIM_STALE_MS = 3_000;
const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
/** Pending requests read per tick; more than any team has open at once. */
const PENDING_SCAN_LIMIT = 10_000;

/** A notify attempt that took longer than notifyTimeoutMs (it may still succeed). */
class NotifyTimeout extends Error {}

interface Tracked {
  /** The version last acted on. */
  version: number;
  /** Channels on which this service owns the post of this request (posted by it, or taken over from a stopped one). */
  notified: Set<string>;
  /** Channels with a notify in progress. */
  notifying: Set<string>;
}

interface Parts {
  broker: ApprovalBroker;
  auditStore: AuditStore | undefined;
  channels: ApprovalChannel[];
  server: http.Server;
  address: AddressInfo;
}

/**
 * A running review service. Start it with startReviewService; stop it with close(). Nothing it does writes to
 * stdout. Its state is in the database: a restarted service picks up where the last one stopped (requests already
 * notified on a channel are not notified again), and several services on one database post each request once.
 */
export class ReviewService {
  /** Identifies this service in `review_services` (gateways check one is alive before waiting). */
  readonly instanceId: string;
  /** Where the HTTP server listens (the real port when 0 was asked). */
  readonly address: AddressInfo;
  readonly broker: ApprovalBroker;
  readonly channels: readonly ApprovalChannel[];
  private readonly parts: Parts;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly heartbeatMs: number;
  /** A service whose last heartbeat is older than this has lost its claims on posting requests. */
  private readonly claimStaleMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly notifyTimeoutMs: number;
  private readonly tracked = new Map<string, Tracked>();
  /** Per request and channel, the last update in progress: updates of one card run in order. */
  private readonly updates = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private lastHeartbeat = 0;
  private lastOrphanCheck = 0;
  private closing: Promise<void> | undefined;

  private constructor(instanceId: string, parts: Parts, options: ReviewServiceOptions) {
    this.instanceId = instanceId;
    this.parts = parts;
    this.address = parts.address;
    this.broker = parts.broker;
    this.channels = parts.channels;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.claimStaleMs = Math.max(3 * this.heartbeatMs, MIN_CLAIM_STALE_MS);
    this.retryDelaysMs = options.notifyRetryDelaysMs ?? NOTIFY_RETRY_DELAYS_MS;
    this.notifyTimeoutMs = options.notifyTimeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  }

  /**
   * Opens the broker on `config.database`, builds the channels, listens on `config.review.host:port` (or the
   * overrides) and starts the loop. Throws WardenError when the database cannot be opened or the port is taken;
   * nothing is left open then.
   */
  static async open(options: ReviewServiceOptions): Promise<ReviewService> {
    const { config } = options;
    const logger = options.logger ?? SILENT_LOGGER;
    const reviewers: Reviewer[] = reviewersFromConfig(config.reviewers);
    const auditStore = options.audit
      ? undefined
      : openAuditStore(config.database, { synchronous: config.audit.synchronous });
    const audit = options.audit ?? auditStore!;
    let broker: ApprovalBroker | undefined;
    let server: http.Server | undefined;
    const channels: ApprovalChannel[] = [];
    try {
      broker = openApprovalBroker({
        database: config.database,
        audit,
        reviewers,
        groups: config.groups,
        requester: config.principal,
        logger,
        ...(options.now ? { now: options.now } : {}),
      });
      const routes: Route[] = [healthRoute()];
      const host = options.host ?? config.review.host;
      for (const factory of options.channels ?? defaultChannels(config)) {
        const setup = await factory({ broker, config, reviewers, logger, host, audit });
        channels.push(setup.channel);
        routes.push(...(setup.routes ?? []));
      }
      server = createApiServer({ routes, authenticate: createBearerAuthenticator(reviewers), logger });
      const address = await listen(server, host, options.port ?? config.review.port);
      const service = new ReviewService(nanoid(), { broker, auditStore, channels, server, address }, options);
      service.run();
      logger.debug(
        `review service ${service.instanceId} listening on ${service.url} (database ${config.database}, channels ${channels.map((c) => c.name).join(', ')})`,
      );
      return service;
    } catch (error) {
      if (server) await closeServer(server);
      for (const channel of channels) await channel.close?.().catch(() => undefined);
      broker?.close();
      auditStore?.close();
      throw error;
    }
  }

  /** `http://host:port` of the HTTP API. */
  get url(): string {
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Starts the loop: one pass now, then one every tick. */
  private run(): void {
    this.heartbeat(true);
    this.tick();
  }

  /**
   * Stops the loop and the server, waits for notifications in progress to stop (a request whose notification was
   * cut short stays pending; the next service start retries it), closes the channels, the broker and the audit store.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
    await closeServer(this.parts.server);
    await Promise.allSettled([...this.inFlight]);
    for (const channel of this.channels) {
      try {
        await channel.close?.();
      } catch (error) {
        this.logger.warn(`review service: closing channel ${channel.name}: ${errorMessage(error)}`);
      }
    }
    try {
      // Gateways then fail closed at once instead of waiting for the heartbeat to go stale.
      this.broker.unregisterReviewService(this.instanceId);
    } catch (error) {
      this.logger.warn(`review service: unregistering ${this.instanceId}: ${errorMessage(error)}`);
    }
    this.broker.close();
    this.parts.auditStore?.close();
    this.logger.debug(`review service ${this.instanceId} stopped`);
  }

  private heartbeat(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastHeartbeat < this.heartbeatMs) return;
    if (force) this.broker.registerReviewService(this.instanceId, process.pid);
    else this.broker.heartbeatReviewService(this.instanceId);
    this.lastHeartbeat = now;
  }

  /**
   * Requests of gateways that died, found while no new gateway starts (which also looks): abandoned, so reviewers stop
   * seeing calls that can never run. Checked about as often as gateways beat.
   */
  private abandonOrphans(): void {
    const now = Date.now();
    if (now - this.lastOrphanCheck < GATEWAY_HEARTBEAT_MS) return;
    this.lastOrphanCheck = now;
    const abandoned = this.broker.abandonOrphans(processAlive, { staleAfterMs: GATEWAY_STALE_MS });
    if (abandoned.length > 0) {
      this.logger.warn(
        `abandoned ${abandoned.length} request(s) of gateways that are gone: ${abandoned.join(', ')}`,
      );
    }
  }

  /** One pass: heartbeat, expire, notify new requests, update changed ones. Errors are logged; the loop goes on. */
  private tick(): void {
    if (this.closed) return;
    try {
      this.heartbeat();
      this.broker.sweepExpired();
      this.abandonOrphans();
      const pending = this.broker.list({ status: 'pending', limit: PENDING_SCAN_LIMIT });
      const seen = new Set<string>();
      for (const request of pending) {
        seen.add(request.id);
        this.look(request);
      }
      for (const [id, tracked] of this.tracked) {
        if (seen.has(id) || tracked.notifying.size > 0) continue;
        // No longer pending: show the final state once, then forget it.
        this.tracked.delete(id);
        const request = this.broker.get(id);
        if (request && request.version !== tracked.version) this.updateChannels(request, tracked.notified);
      }
    } catch (error) {
      this.logger.warn(`review service: pass failed, retrying in ${this.tickMs} ms: ${errorMessage(error)}`);
    }
    this.timer = setTimeout(() => this.tick(), this.tickMs);
    this.timer.unref?.();
  }

  /**
   * A pending request: post it on the channels this service claims and has not posted yet; keep the posts it owns up
   * to date. A channel another live service claimed is that service's (each card is posted once).
   */
  private look(request: ApprovalRequestView): void {
    let tracked = this.tracked.get(request.id);
    if (!tracked) {
      tracked = { version: request.version, notified: new Set(), notifying: new Set() };
      this.tracked.set(request.id, tracked);
    } else if (request.version !== tracked.version) {
      tracked.version = request.version;
      this.updateChannels(request, tracked.notified);
    }
    for (const channel of this.channels) {
      if (tracked.notified.has(channel.name) || tracked.notifying.has(channel.name)) continue;
      const claim = this.broker.claimNotification(
        request.id,
        channel.name,
        this.instanceId,
        this.claimStaleMs,
      );
      if (claim === 'other') continue;
      if (claim === 'update') {
        // Posted before (by this service before a restart, or by one that stopped): it may have changed since.
        tracked.notified.add(channel.name);
        this.updateChannels(request, new Set([channel.name]));
        continue;
      }
      tracked.notifying.add(channel.name);
      this.track(this.notify(request, channel, tracked));
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Notifies one channel, up to `retryDelaysMs.length + 1` attempts. After the last failure the request fails
   * closed, with the channel's error as the reason: reviewers who were never told cannot decide in time.
   */
  private async notify(
    first: ApprovalRequestView,
    channel: ApprovalChannel,
    tracked: Tracked,
  ): Promise<void> {
    const attempts = this.retryDelaysMs.length + 1;
    let request = first;
    let lastError: unknown;
    /** An attempt that timed out may still post: the next one waits for it a while, so a slow post is not doubled. */
    let late: Promise<ChannelNotice> | undefined;
    try {
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        if (attempt > 1) {
          await sleep(this.retryDelaysMs[attempt - 2]!, undefined, { signal: this.stopping.signal });
          if (late) {
            const notice = await this.settledWithin(late, this.notifyTimeoutMs);
            late = undefined;
            if (notice) {
              this.recordNotified(request, channel, notice, tracked);
              return;
            }
          }
          const current = this.broker.get(request.id);
          if (!current || current.status !== 'pending') return;
          request = current;
        }
        let notice: ChannelNotice;
        const posting = channel.notify(request);
        try {
          notice = await this.withTimeout(posting, channel.name);
        } catch (error) {
          lastError = error;
          if (error instanceof NotifyTimeout) late = posting;
          this.logger.warn(
            `review service: notifying ${channel.name} of request ${request.id} failed (attempt ${attempt} of ${attempts}): ${errorMessage(error)}`,
          );
          continue;
        }
        this.recordNotified(request, channel, notice, tracked);
        return;
      }
      if (this.closed) return;
      const reason = `could not notify reviewers on ${channel.name}: ${errorMessage(lastError)}`;
      if (this.broker.fail(request.id, reason)) {
        this.logger.error(`review service: request ${request.id} failed closed: ${reason}`);
      }
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      this.logger.error(
        `review service: notifying ${channel.name} of request ${request.id}: ${errorMessage(error)}`,
      );
    } finally {
      tracked.notifying.delete(channel.name);
    }
  }

  private recordNotified(
    request: ApprovalRequestView,
    channel: ApprovalChannel,
    notice: ChannelNotice,
    tracked: Tracked,
  ): void {
    // Told is told: even if recording fails below, do not post a second card.
    tracked.notified.add(channel.name);
    try {
      this.broker.recordNotified(request.id, channel.name, notice.messageId ?? '', notice.details);
    } catch (error) {
      this.logger.error(
        `review service: ${channel.name} was notified of request ${request.id} but it could not be recorded: ${errorMessage(error)}`,
      );
    }
    // The request may have changed while the channel was posting: bring that card up to date now.
    const current = this.broker.get(request.id);
    if (current && current.version !== request.version) {
      this.updateChannels(current, new Set([channel.name]));
    }
  }

  private withTimeout<T>(work: Promise<T>, channel: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new NotifyTimeout(`${channel} did not answer within ${this.notifyTimeoutMs} ms`)),
        this.notifyTimeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  /** The notice of a post that timed out, if it succeeds within `ms` more; undefined if it fails or still hangs. */
  private async settledWithin(
    posting: Promise<ChannelNotice>,
    ms: number,
  ): Promise<ChannelNotice | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    try {
      return await Promise.race([posting.catch(() => undefined), giveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Calls `update` on the channels the request was notified on. Updates of one card run one after another, each with
   * the request as it is when its turn comes, so an older state never replaces a newer one. Failures are logged.
   */
  private updateChannels(request: ApprovalRequestView, notified: ReadonlySet<string>): void {
    for (const channel of this.channels) {
      if (!channel.update || !notified.has(channel.name)) continue;
      const key = `${request.id}\u0000${channel.name}`;
      const previous = this.updates.get(key) ?? Promise.resolve();
      const next = previous.then(async () => {
        if (this.stopping.signal.aborted) return;
        const current = this.broker.get(request.id) ?? request;
        try {
          await this.withTimeout(channel.update!(current), channel.name);
        } catch (error) {
          this.logger.warn(
            `review service: updating ${channel.name} for request ${request.id} failed: ${errorMessage(error)}`,
          );
        }
      });
      this.updates.set(key, next);
      this.track(
        next.finally(() => {
          if (this.updates.get(key) === next) this.updates.delete(key);
        }),
      );
    }
  }
}

/** The channels a service runs unless told otherwise: the reviewers' HTTP API, and Teams when `teams:` is set. */
export function defaultChannels(config: WardenConfig): ChannelFactory[] {
  return config.teams ? [httpApiChannel, teamsChannel] : [httpApiChannel];
}

/** Starts a review service (see ReviewService.open): `warden review`, or `warden serve` with `review.inProcess`. */
export function startReviewService(options: ReviewServiceOptions): Promise<ReviewService> {
  return ReviewService.open(options);
}
