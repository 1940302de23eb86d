// Public surface of the audit module: the store, the hash chain, the export formats and the event types.
export { AuditStore, openAuditStore } from './store.js';
export type { AuditStoreOptions } from './store.js';
export { GENESIS_HASH, eventHash, eventHashWithData, verifyChain, formatHead, parseHead } from './chain.js';
export type { EventRow, HashedFields } from './chain.js';
export { REQUEST_STATUSES, parseSince, parseStatus } from './rows.js';
export { CSV_COLUMNS, csvField, eventToCsvRecord, eventToJsonLine, writeEvents } from './export.js';
export type { ExportFormat, ExportSink } from './export.js';
export { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
export type * from './types.js';
