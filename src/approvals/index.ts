// Public surface of the approvals module: the broker, its store, identities and separation of duties, and the types.
export { ApprovalBroker, openApprovalBroker } from './broker.js';
export type { ApprovalBrokerOptions, AuditSink, CreateApprovalInput } from './broker.js';
export { ApprovalStore, openApprovalStore } from './store.js';
export type { ApprovalStoreOptions, OrphanCandidate } from './store.js';
export { APPROVALS_MIGRATIONS, APPROVALS_SCHEMA_VERSION } from './store-schema.js';
export {
  REVIEWER_ID_PATTERN,
  TOKEN_HASH_PATTERN,
  countPeople,
  displayName,
  findReviewer,
  hashToken,
  isRequester,
  isSamePerson,
  matchTokenHash,
  resolveReviewers,
  reviewersFromConfig,
} from './identity.js';
export type { ResolvedReviewers, ReviewerSettings } from './identity.js';
export { MAX_TEXT_CHARS, checkAnswer, checkDecision, expiryReason } from './decision-rules.js';
export type { DecisionRefusal } from './decision-rules.js';
export { formatDuration } from './duration.js';
export { GATEWAY_HEARTBEAT_MS, GATEWAY_STALE_MS, processAlive } from './gateway-liveness.js';
export { APPROVAL_STATUSES } from './types.js';
export type * from './types.js';
