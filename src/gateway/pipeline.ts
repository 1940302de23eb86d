// The life of one tools/call: look the name up, check the input, evaluate the policy, write the intent, then deny or
// forward, and write the outcome. Every path that involves a call leaves an audit record.
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { nanoid } from 'nanoid';
import { WardenError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { CompiledPolicy, PolicyVerdict } from '../policy/types.js';
import type { AuditEventInput, CallIntentData, CallOutcomeData, CallOutcomeStatus } from '../audit/types.js';
import type { Principal } from '../config/schema.js';
import { createRedactor, hashArguments } from '../redact/index.js';
import { maskedValues, resultExcerpt } from './result-excerpt.js';
import type { DownstreamConnection } from './downstream.js';
import type { NamedEntry } from './naming.js';
import type { ApprovalGate, ProgressSender } from './approval-gate.js';

/** Where events go (the batching AuditWriter). `appendDurable` resolves once the event is committed. */
export interface AuditSink {
  append(event: AuditEventInput): void;
  appendDurable(event: AuditEventInput): Promise<void>;
}

/** The policy in force now; hot reload swaps `current`. */
export interface PolicyRef {
  current: CompiledPolicy;
}

export interface ToolTarget extends NamedEntry<Tool> {
  connection: DownstreamConnection;
}

/** How a forwarded call talks back: its cancel signal, its `_meta`, and where progress goes. */
interface ForwardIo {
  signal: AbortSignal;
  meta: Record<string, unknown> | undefined;
  sendProgress?: (params: Record<string, unknown>) => Promise<void>;
}

export interface PipelineDeps {
  /** Parks calls whose policy action is `approve`; without it such calls fail closed. */
  approvals?: ApprovalGate;
  policy: PolicyRef;
  audit: AuditSink;
  principal: Principal;
  sessionId: string;
  /** The agent's self-reported clientInfo: recorded, never trusted for authorization. */
  agent: () => { name?: string; version?: string };
  maxArgumentBytes: number;
  callTimeoutMs: number;
  excerptChars: number;
  logger: Logger;
}

/** What the upstream handler passes in for one call. */
export interface CallRequest {
  exposedName: string;
  target: ToolTarget | undefined;
  args: unknown;
  /** `_meta` from the request (progress token included). */
  meta: Record<string, unknown> | undefined;
  signal: AbortSignal;
  sendProgress: (params: Record<string, unknown>) => Promise<void>;
}

type Redact = (value: unknown) => unknown;

/** Text a model can read, as an error result. */
function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function ruleSummary(verdict: PolicyVerdict): string {
  return `risk ${verdict.risk}, rule ${verdict.decidingRule}`;
}

/** Creates the call handler. Compiled state (redactor per policy version) is cached here, not per call. */
export function createCallPipeline(deps: PipelineDeps): (request: CallRequest) => Promise<CallToolResult> {
  let redactorFor: { version: string; redact: Redact } | undefined;
  const redactor = (policy: CompiledPolicy): Redact => {
    if (redactorFor?.version !== policy.version) {
      redactorFor = { version: policy.version, redact: createRedactor(policy.redaction) };
    }
    return redactorFor.redact;
  };
  const record = (type: string, requestId: string, data: Record<string, unknown>) =>
    deps.audit.append({ type, requestId, sessionId: deps.sessionId, data });

  return async function handleCall(request: CallRequest): Promise<CallToolResult> {
    const requestId = nanoid();
    const policy = deps.policy.current;
    const redact = redactor(policy);

    if (!request.target) {
      const reason = `unknown tool "${request.exposedName}": Warden exposes tools as <server>__<tool>; list the tools again to see what is available`;
      record('call.rejected', requestId, { exposedName: request.exposedName, reason });
      return errorResult(reason);
    }
    const target = request.target;

    const args = request.args === undefined ? {} : request.args;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      const reason = `invalid arguments for "${request.exposedName}": expected a JSON object`;
      record('call.rejected', requestId, { exposedName: request.exposedName, reason });
      return errorResult(reason);
    }
    const argsJson = JSON.stringify(args);
    const argsBytes = Buffer.byteLength(argsJson);
    if (argsBytes > deps.maxArgumentBytes) {
      const reason = `arguments for "${request.exposedName}" are ${argsBytes} bytes, over the limit of ${deps.maxArgumentBytes} bytes (gateway.maxArgumentBytes)`;
      record('call.rejected', requestId, { exposedName: request.exposedName, reason, argsBytes });
      return errorResult(`Warden rejected this call: ${reason}. It was not run.`);
    }

    const argsRecord = args as Record<string, unknown>;
    const verdict = policy.evaluate({
      server: target.server,
      tool: target.name,
      args: argsRecord,
      ...(target.item.annotations ? { annotations: target.item.annotations } : {}),
    });
    const redactedArgs = redact(argsRecord);
    const intent: CallIntentData = {
      principal: deps.principal,
      agent: deps.agent(),
      server: target.server,
      tool: target.name,
      exposedName: request.exposedName,
      args: redactedArgs,
      argsHash: hashArguments(argsRecord),
      argsBytes,
      risk: verdict.risk,
      action: verdict.action,
      reason: verdict.reason,
      rules: verdict.matches.map((m) => ({
        ruleId: m.ruleId,
        risk: m.risk,
        action: m.action,
        ...(m.file ? { file: m.file } : {}),
        ...(m.line ? { line: m.line } : {}),
        why: m.why,
      })),
      policyVersion: verdict.policyVersion,
    };
    // Security: the intent is durable before anything runs; if it cannot be written, nothing runs.
    try {
      await deps.audit.appendDurable({
        type: 'call.intent',
        requestId,
        sessionId: deps.sessionId,
        data: intent as unknown as Record<string, unknown>,
      });
    } catch (error) {
      return errorResult(
        `Warden could not write its audit log (${errorMessage(error)}), so it did not run this call.`,
      );
    }

    const secrets = maskedValues(argsRecord, redactedArgs);
    const ruleIds = intent.rules.map((r) => r.ruleId);
    if (verdict.action === 'approve' && deps.approvals) {
      const gate = deps.approvals;
      const relay = relayFor(request);
      return gate.park(
        {
          id: requestId,
          exposedName: request.exposedName,
          argsHash: intent.argsHash,
          run: (signal, sendProgress) =>
            forward(target, argsRecord, requestId, request.exposedName, redact, secrets, {
              signal,
              meta: request.meta,
              ...(sendProgress ? { sendProgress: (p) => sendProgress(p as never) } : {}),
            }),
          deny: (reason, status) =>
            record('call.denied', requestId, {
              reason,
              risk: verdict.risk,
              action: verdict.action,
              rules: ruleIds,
              approval: status,
            }),
        },
        {
          server: target.server,
          tool: target.name,
          exposedName: request.exposedName,
          argsHash: intent.argsHash,
          argsRedacted: redactedArgs,
          risk: verdict.risk,
          reason: verdict.reason,
          rules: ruleIds,
          policyVersion: verdict.policyVersion,
          agent: intent.agent,
          reviewerSpecs: verdict.reviewers,
          quorum: verdict.quorum,
          timeoutMs: verdict.timeoutMs,
        },
        { clientName: intent.agent.name, signal: request.signal, sendProgress: relay },
      );
    }

    if (verdict.action !== 'allow') {
      const failClosed = verdict.action === 'approve';
      const reason = failClosed
        ? `this call needs human approval (${ruleSummary(verdict)}: ${verdict.reason}), and no approvals are configured (reviewers and a review service), so it fails closed`
        : `${verdict.reason} (${ruleSummary(verdict)})`;
      record('call.denied', requestId, {
        reason,
        risk: verdict.risk,
        action: verdict.action,
        rules: ruleIds,
        ...(failClosed ? { failClosed: true } : {}),
      });
      return errorResult(`Warden denied this call: ${reason}. It was not run.`);
    }

    return forward(target, argsRecord, requestId, request.exposedName, redact, secrets, {
      signal: request.signal,
      meta: request.meta,
      sendProgress: request.sendProgress,
    });
  };

  /** Sends progress with the caller's own token, when the caller asked for progress. */
  function relayFor(request: CallRequest): ProgressSender | undefined {
    const token = request.meta?.progressToken;
    if (token === undefined) return undefined;
    return (params) => request.sendProgress({ ...params, progressToken: token });
  }

  async function forward(
    target: ToolTarget,
    args: Record<string, unknown>,
    requestId: string,
    exposedName: string,
    redact: Redact,
    secrets: string[],
    io: ForwardIo,
  ): Promise<CallToolResult> {
    const started = performance.now();
    const outcome = (status: CallOutcomeStatus, fields: Partial<CallOutcomeData>) => {
      const data: CallOutcomeData = {
        status,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        isError: fields.isError ?? status !== 'ok',
        resultBytes: fields.resultBytes ?? 0,
        excerpt: fields.excerpt ?? '',
        ...(fields.error ? { error: fields.error } : {}),
      };
      record('call.outcome', requestId, data as unknown as Record<string, unknown>);
    };

    const { progressToken, ...restMeta } = io.meta ?? {};
    const params: Record<string, unknown> = { name: target.name, arguments: args };
    if (Object.keys(restMeta).length > 0) params._meta = restMeta;
    try {
      const result = await target.connection.request('tools/call', params, {
        signal: io.signal,
        timeoutMs: deps.callTimeoutMs,
        ...(progressToken !== undefined
          ? {
              onprogress: (progress) => {
                void io.sendProgress?.({ ...progress, progressToken }).catch(() => undefined);
              },
            }
          : {}),
      });
      const json = JSON.stringify(result);
      const isError = result.isError === true;
      outcome(isError ? 'tool_error' : 'ok', {
        isError,
        resultBytes: Buffer.byteLength(json),
        excerpt: resultExcerpt(result, redact, secrets, deps.excerptChars),
      });
      return result as CallToolResult;
    } catch (error) {
      const message = errorMessage(error);
      if (io.signal.aborted) {
        outcome('cancelled', {
          error: `cancelled by the client: ${String(io.signal.reason ?? message)}`,
        });
        throw error;
      }
      if (error instanceof WardenError && error.code === 'DOWNSTREAM_TIMEOUT') {
        outcome('timeout', { error: message });
        return errorResult(
          `Warden stopped waiting for "${exposedName}" after ${deps.callTimeoutMs} ms without a result or progress (gateway.callTimeoutMs) and cancelled it downstream; whether it took effect is unknown.`,
        );
      }
      outcome('failed', { error: redact(message) as string });
      if (error instanceof WardenError) return errorResult(error.message);
      // A JSON-RPC error from the downstream tool passes through as it came.
      throw error;
    }
  }
}
