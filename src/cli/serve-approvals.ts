// The approvals side of `warden serve`: the broker on the shared database, this session's registration and
// heartbeat, clean-up after gateways that died, the gate that parks calls, and optionally the review service in-process.
import {
  GATEWAY_HEARTBEAT_MS,
  GATEWAY_STALE_MS,
  openApprovalBroker,
  processAlive,
  reviewersFromConfig,
} from '../approvals/index.js';
import { startReviewService, type ReviewService } from '../approvals/review-service.js';
import type { AuditStore } from '../audit/index.js';
import type { WardenConfig } from '../config/schema.js';
import { ApprovalGate } from '../gateway/approval-gate.js';
import type { Logger } from '../log.js';

export interface ApprovalsRuntime {
  /** Undefined when no reviewers are configured: calls that need approval then fail closed. */
  gate: ApprovalGate | undefined;
  close(): Promise<void>;
}

export async function startApprovals(options: {
  config: WardenConfig;
  audit: AuditStore;
  sessionId: string;
  logger: Logger;
}): Promise<ApprovalsRuntime> {
  const { config, audit, sessionId, logger } = options;
  if (Object.keys(config.reviewers).length === 0) {
    return { gate: undefined, close: async () => undefined };
  }
  const broker = openApprovalBroker({
    database: config.database,
    audit,
    reviewers: reviewersFromConfig(config.reviewers),
    groups: config.groups,
    requester: config.principal,
    logger,
  });
  broker.registerGateway(sessionId, process.pid);
  // A request of another session under this very pid belongs to an earlier incarnation (a container restarted).
  const abandoned = broker.abandonOrphans((pid) => pid !== process.pid && processAlive(pid), {
    staleAfterMs: GATEWAY_STALE_MS,
  });
  if (abandoned.length > 0) {
    logger.warn(
      `marked ${abandoned.length} request(s) of gateways that died as abandoned: ${abandoned.join(', ')}`,
    );
  }
  const heartbeat = setInterval(() => broker.heartbeatGateway(sessionId), GATEWAY_HEARTBEAT_MS);
  heartbeat.unref();

  let review: ReviewService | undefined;
  if (config.review.inProcess) {
    review = await startReviewService({ config, logger, audit });
    logger.info(`review service running in-process at ${review.url}`);
  }

  const settings = config.approvals;
  const gate = new ApprovalGate({
    broker,
    session: sessionId,
    logger,
    settings: {
      defaultTimeoutMs: settings.defaultTimeout,
      defaultReviewers: settings.defaultReviewers,
      holdLimitsMs: settings.holdLimits,
      heartbeatMs: settings.heartbeat,
      pollMs: settings.poll,
      reviewServiceGraceMs: settings.reviewServiceGrace,
      maxHeldCalls: settings.maxHeldCalls,
      collectGraceMs: settings.collectGrace,
    },
  });
  return {
    gate,
    async close() {
      clearInterval(heartbeat);
      gate.releaseAll('the gateway stopped while the call waited for approval');
      broker.unregisterGateway(sessionId);
      await review?.close();
      broker.close();
    },
  };
}
