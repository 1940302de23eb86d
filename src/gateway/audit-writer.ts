// Group commit for the gateway's audit events. An intent is awaited until it is durable, and the call runs only then:
// intents are committed at the end of the current microtask queue, so the calls that arrived in one read share one
// transaction. Other events (outcomes, denials, server state) wait a few milliseconds, after the responses have been
// written, and usually share the commit of the next call's intent: one commit per call instead of two. Outcomes are
// even built later (appendLater): the work of describing a result is not done while the agent waits for it.
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuditEventInput } from '../audit/types.js';

/** How long an outcome may wait for company before it is committed on its own. */
export const BATCH_DELAY_MS = 5;
/** Events built by appendLater that are committed at once rather than with the next intent (see build()). */
export const IDLE_COMMIT_MIN_EVENTS = 4;

/** The part of the audit store the writer needs. */
export interface BatchStore {
  appendBatch(events: readonly AuditEventInput[]): void;
}

/** Builds an event when the writer gets to it; see appendLater. */
export type EventBuilder = () => AuditEventInput;

interface Pending {
  event: AuditEventInput;
  resolve?: () => void;
  reject?: (error: unknown) => void;
}

/** Queues events and commits them in batches. Has a lifecycle: `close()` flushes what is left. */
export class AuditWriter {
  private queue: Pending[] = [];
  private builders: EventBuilder[] = [];
  private building: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private urgent = false;
  private closed = false;
  private readonly store: BatchStore;
  private readonly logger: Logger;

  constructor(store: BatchStore, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  /** Queues an event for the next batch. A failed batch is reported on stderr; callers do not wait. */
  append(event: AuditEventInput): void {
    this.enqueue({ event }, false);
  }

  /**
   * Queues an event to be built once the current I/O callbacks are done (after the responses they produce are
   * written), then committed like append(). It is built before any later commit, and by flush() and close(): its
   * place in the log is never after an event queued after it was built.
   */
  appendLater(build: EventBuilder): void {
    if (this.closed) {
      this.logger.error('dropped an audit event built after shutdown');
      return;
    }
    this.builders.push(build);
    this.building ??= setImmediate(() => this.build());
  }

  /** Queues an event and resolves once it is committed; rejects if the batch could not be written. */
  appendDurable(event: AuditEventInput): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue({ event, resolve, reject }, true));
  }

  /** Builds what appendLater queued, and writes everything queued now, synchronously. */
  flush(): void {
    this.build();
    this.commitQueued();
  }

  /** Writes the queue in one transaction and settles its durable appends. */
  private commitQueued(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.urgent = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    try {
      this.store.appendBatch(batch.map((p) => p.event));
    } catch (error) {
      this.logger.error(`audit log write failed for ${batch.length} event(s): ${errorMessage(error)}`);
      for (const pending of batch) pending.reject?.(error);
      return;
    }
    for (const pending of batch) pending.resolve?.();
  }

  /** Builds the events waiting in appendLater and queues them. */
  private build(): void {
    if (this.building) clearImmediate(this.building);
    this.building = undefined;
    const builders = this.builders;
    if (builders.length === 0) return;
    this.builders = [];
    for (const build of builders) {
      let event: AuditEventInput;
      try {
        event = build();
      } catch (error) {
        this.logger.error(`could not build an audit event: ${errorMessage(error)}`);
        continue;
      }
      this.enqueue({ event }, false);
    }
    // Under load, several outcomes are now waiting: committing them here keeps them out of the next intent's commit,
    // which every call in it waits for. A single one (concurrency 1) still rides with the next intent.
    if (!this.urgent && this.queue.length >= IDLE_COMMIT_MIN_EVENTS) this.commitQueued();
  }

  /** Flushes and refuses further events. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private enqueue(pending: Pending, urgent: boolean): void {
    if (this.closed) {
      const error = new Error('the audit writer is closed');
      this.logger.error(`dropped audit event ${pending.event.type} after shutdown`);
      pending.reject?.(error);
      return;
    }
    this.queue.push(pending);
    if (urgent && !this.urgent) {
      this.urgent = true;
      queueMicrotask(() => this.flush());
    }
    if (!this.urgent && this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), BATCH_DELAY_MS);
    }
  }
}
