// The life of one tools/call: look the name up, check the input, evaluate the policy, write the intent, then deny or
// forward, and write the outcome. Every path that involves a call leaves an audit record.
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { nanoid } from 'nanoid';
import { WardenError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { CompiledPolicy, PolicyVerdict, RuleMatch } from '../policy/types.js';
import type {
  AuditEventInput,
  AuditRule,
  CallIntentData,
  CallOutcomeData,
  CallOutcomeStatus,
} from '../audit/types.js';
import type { Principal } from '../config/schema.js';
import { canonicalJson, createRedactor, sha256Hex } from '../redact/index.js';
import { argumentProblem } from './argument-check.js';
import { maskedValues, resultExcerpt } from './result-excerpt.js';
import type { DownstreamConnection } from './downstream.js';
import type { NamedEntry } from './naming.js';
import type { ApprovalGate, ProgressSender } from './approval-gate.js';
import { signalCancel, type CancelToken } from './wire/cancel.js';
import { jsonRpcErrorMessage, serializeResult } from './wire/tool-calls.js';

/**
 * Where events go (the batching AuditWriter). `appendDurable` resolves once the event is committed; `appendLater`
 * builds the event after the responses of the current I/O are written.
 */
export interface AuditSink {
  append(event: AuditEventInput): void;
  appendLater(build: () => AuditEventInput): void;
  appendDurable(event: AuditEventInput): Promise<void>;
}

/** The policy in force now; hot reload swaps `current`. */
export interface PolicyRef {
  current: CompiledPolicy;
}

export interface ToolTarget extends NamedEntry<Tool> {
  connection: DownstreamConnection;
}

/** How a forwarded call talks back: its cancel, its `_meta`, and where progress goes. */
interface ForwardIo {
  cancel: CancelToken;
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
  /** Without a target, when the name belongs to a configured server that is not running: which, and why. */
  unavailable?: { server: string; why: string };
  args: unknown;
  /** `_meta` from the request (progress token included). */
  meta: Record<string, unknown> | undefined;
  cancel: CancelToken;
  sendProgress: (params: Record<string, unknown>) => Promise<void>;
}

type Redact = (value: unknown) => unknown;

/** Longest unknown tool name recorded and echoed whole (exposed names are at most 64 characters). */
const MAX_SHOWN_NAME = 200;

/** An unknown tool name as recorded and echoed: cut, with its length, when it is far longer than any real one. */
function shownName(name: string): string {
  return name.length > MAX_SHOWN_NAME
    ? `${name.slice(0, MAX_SHOWN_NAME)}… (${name.length} characters)`
    : name;
}

/** Text a model can read, as an error result. */
function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function ruleSummary(verdict: PolicyVerdict): string {
  return `risk ${verdict.risk}, rule ${verdict.decidingRule}`;
}

/**
 * A new request id: the time in base 36, then 16 random characters (96 bits). Ids made later sort later, so each
 * event lands at the end of the audit log's request_id index (a random id would dirty a page anywhere in it, on
 * every commit); the random part keeps ids unique across processes and unguessable.
 */
export function newRequestId(): string {
  return `${Date.now().toString(36)}${nanoid(16)}`;
}

/**
 * A call.outcome event, its data also as canonical JSON text: keys in sorted order, written directly (this runs for
 * every call; test/gateway/pipeline.test.ts checks the text against canonicalJson).
 */
export function outcomeEvent(
  requestId: string,
  sessionId: string,
  status: CallOutcomeStatus,
  fields: Partial<CallOutcomeData>,
  durationMs: number,
): AuditEventInput {
  const data: CallOutcomeData = {
    durationMs,
    ...(fields.error ? { error: fields.error } : {}),
    excerpt: fields.excerpt ?? '',
    isError: fields.isError ?? status !== 'ok',
    resultBytes: fields.resultBytes ?? 0,
    status,
  };
  return {
    type: 'call.outcome',
    requestId,
    sessionId,
    data: data as unknown as Record<string, unknown>,
    dataText: JSON.stringify(data),
  };
}

/**
 * The canonical JSON of an intent, written from its parts: every key is in sorted order here and in auditRule, and
 * only the parts that come from outside (the arguments, the principal, the agent) need canonicalizing.
 */
export function intentText(intent: CallIntentData, principalText: string, agentText: string): string {
  const q = JSON.stringify;
  return (
    `{"action":${q(intent.action)},"agent":${agentText},"args":${canonicalJson(intent.args)},` +
    `"argsBytes":${q(intent.argsBytes)},"argsHash":${q(intent.argsHash)},"exposedName":${q(intent.exposedName)},` +
    `"policyVersion":${q(intent.policyVersion)},"principal":${principalText},"reason":${q(intent.reason)},` +
    `"risk":${q(intent.risk)},"rules":${q(intent.rules)},"server":${q(intent.server)},"tool":${q(intent.tool)}}`
  );
}

/** A rule that fired, as the intent records it (keys in sorted order). */
export function auditRule(match: RuleMatch): AuditRule {
  return {
    action: match.action,
    ...(match.file ? { file: match.file } : {}),
    ...(match.line ? { line: match.line } : {}),
    risk: match.risk,
    ruleId: match.ruleId,
    why: match.why,
  };
}

/** The redactor of a policy, built once per policy version (hot reload makes a new one). */
export function redactorCache(): (policy: CompiledPolicy) => Redact {
  let redactorFor: { version: string; redact: Redact } | undefined;
  return (policy) => {
    if (redactorFor?.version !== policy.version) {
      redactorFor = { version: policy.version, redact: createRedactor(policy.redaction) };
    }
    return redactorFor.redact;
  };
}

/** Creates the call handler. Compiled state (redactor per policy version) is cached here, not per call. */
export function createCallPipeline(deps: PipelineDeps): (request: CallRequest) => Promise<CallToolResult> {
  const redactor = redactorCache();
  const record = (type: string, requestId: string, data: Record<string, unknown>) =>
    deps.audit.append({ type, requestId, sessionId: deps.sessionId, data });
  /** A call refused as bad input: who asked is known even when what they asked for is not. */
  const rejectCall = (requestId: string, data: Record<string, unknown>) =>
    record('call.rejected', requestId, { ...data, principal: deps.principal, agent: deps.agent() });
  const principalText = canonicalJson(deps.principal);
  let lastAgent: { key: string; text: string } | undefined;
  const agentText = (agent: CallIntentData['agent']): string => {
    const key = `${agent.name ?? ''}\u0000${agent.version ?? ''}`;
    if (lastAgent?.key !== key) lastAgent = { key, text: canonicalJson(agent) };
    return lastAgent.text;
  };

  return async function handleCall(request: CallRequest): Promise<CallToolResult> {
    const requestId = newRequestId();
    const policy = deps.policy.current;
    const redact = redactor(policy);

    if (!request.target) {
      const { unavailable } = request;
      // Security: the name is the agent's; a 3 MB one must not become 6 MB of log, or come back whole.
      const name = shownName(request.exposedName);
      const reason = unavailable
        ? `no tool "${name}" is available: ${unavailable.why}`
        : `unknown tool "${name}": Warden exposes tools as <server>__<tool>; list the tools again to see what is available`;
      rejectCall(requestId, {
        exposedName: name,
        reason,
        ...(unavailable ? { unavailable: unavailable.server } : {}),
      });
      return errorResult(reason);
    }
    const target = request.target;

    const args = request.args === undefined ? {} : request.args;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      const reason = `invalid arguments for "${request.exposedName}": expected a JSON object`;
      rejectCall(requestId, { exposedName: request.exposedName, reason });
      return errorResult(reason);
    }
    const problem = argumentProblem(args);
    if (problem !== undefined) {
      const reason = `invalid arguments for "${request.exposedName}": ${problem}`;
      rejectCall(requestId, { exposedName: request.exposedName, reason });
      return errorResult(`Warden rejected this call: ${reason}. It was not run.`);
    }
    // The canonical text has the same characters as JSON.stringify's, in another key order: it gives the size and
    // the hash in one serialization.
    const argsText = canonicalJson(args);
    const argsBytes = Buffer.byteLength(argsText);
    if (argsBytes > deps.maxArgumentBytes) {
      const reason = `arguments for "${request.exposedName}" are ${argsBytes} bytes, over the limit of ${deps.maxArgumentBytes} bytes (gateway.maxArgumentBytes)`;
      rejectCall(requestId, { exposedName: request.exposedName, reason, argsBytes });
      return errorResult(`Warden rejected this call: ${reason}. It was not run.`);
    }

    const argsRecord = args as Record<string, unknown>;
    const redactedArgs = redact(argsRecord);
    const verdict = policy.evaluate({
      server: target.server,
      tool: target.name,
      args: argsRecord,
      redactedArgs,
      ...(target.item.annotations ? { annotations: target.item.annotations } : {}),
    });
    // Keys in sorted order, here and in the rules: the store writes canonical JSON, which then needs no copy.
    const intent: CallIntentData = {
      action: verdict.action,
      agent: deps.agent(),
      args: redactedArgs,
      argsBytes,
      argsHash: sha256Hex(argsText),
      exposedName: request.exposedName,
      policyVersion: verdict.policyVersion,
      principal: deps.principal,
      reason: verdict.reason,
      risk: verdict.risk,
      rules: verdict.matches.map(auditRule),
      server: target.server,
      tool: target.name,
    };
    // Security: the intent is durable before anything runs; if it cannot be written, nothing runs.
    try {
      await deps.audit.appendDurable({
        type: 'call.intent',
        requestId,
        sessionId: deps.sessionId,
        data: intent as unknown as Record<string, unknown>,
        dataText: intentText(intent, principalText, agentText(intent.agent)),
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
              cancel: signalCancel(signal),
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
        {
          clientName: intent.agent.name,
          signal: request.cancel.signal,
          sendProgress: relay,
          outputSchema: target.item.outputSchema !== undefined,
        },
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
      cancel: request.cancel,
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
    const outcome = (
      status: CallOutcomeStatus,
      fields: Partial<CallOutcomeData>,
      finished = performance.now(),
    ) =>
      outcomeEvent(requestId, deps.sessionId, status, fields, Math.round((finished - started) * 1000) / 1000);

    const { progressToken, ...restMeta } = io.meta ?? {};
    const params: Record<string, unknown> = { name: target.name, arguments: args };
    if (Object.keys(restMeta).length > 0) params._meta = restMeta;
    try {
      const result = await target.connection.request('tools/call', params, {
        cancel: io.cancel,
        timeoutMs: deps.callTimeoutMs,
        ...(progressToken !== undefined
          ? {
              onprogress: (progress) => {
                void io.sendProgress?.({ ...progress, progressToken }).catch(() => undefined);
              },
            }
          : {}),
      });
      const finished = performance.now();
      // Serialized once: the answer to the agent is this text, and the audit records its size.
      const json = serializeResult(result);
      // Describing the result (its size, a redacted excerpt) waits until the agent has it.
      deps.audit.appendLater(() => {
        const isError = result.isError === true;
        return outcome(
          isError ? 'tool_error' : 'ok',
          {
            isError,
            resultBytes: Buffer.byteLength(json),
            excerpt: resultExcerpt(result, redact, secrets, deps.excerptChars),
          },
          finished,
        );
      });
      return result as CallToolResult;
    } catch (error) {
      const message = jsonRpcErrorMessage(error);
      if (io.cancel.aborted) {
        deps.audit.append(
          outcome('cancelled', {
            error: `cancelled by the client: ${String(redact(String(io.cancel.reason ?? message)))}`,
          }),
        );
        throw error;
      }
      if (error instanceof WardenError && error.code === 'DOWNSTREAM_TIMEOUT') {
        deps.audit.append(outcome('timeout', { error: message }));
        return errorResult(
          `Warden stopped waiting for "${exposedName}" after ${deps.callTimeoutMs} ms without a result or progress (gateway.callTimeoutMs) and cancelled it downstream; whether it took effect is unknown.`,
        );
      }
      deps.audit.append(outcome('failed', { error: redact(message) as string }));
      if (error instanceof WardenError) return errorResult(error.message);
      // A JSON-RPC error from the downstream tool passes through as it came.
      throw error;
    }
  }
}
