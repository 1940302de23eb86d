// What an approval card says about where the request stands: the headline ("Approved by Bob at 14:02 UTC — ran in
// 120 ms", "Rejected by Bob: reason", "Expired", …), its colour, and the reviewers' questions with the agent's answers.
import { formatDuration } from '../duration.js';
import { displayName } from '../identity.js';
import type { ApprovalRequestView } from '../types.js';
import type { CardColor, CardElement } from './card-types.js';
import { plainShort, utcClock } from './card-text.js';

/** Reviewer display names (config `reviewers.<id>.name`); ids stand in for the rest. */
export type ReviewerNames = ReadonlyArray<{ id: string; name?: string }>;

/** A headline (markdown-safe) and its colour, plus an optional detail line (markdown-safe). */
export interface Outcome {
  headline: string;
  color: CardColor;
  detail?: string;
}

/** The name a reviewer id is shown under. */
export function reviewerName(id: string, reviewers: ReviewerNames | undefined): string {
  const known = reviewers?.find((r) => r.id === id);
  return displayName(known ?? { id });
}

/**
 * The card's headline for the request's status. Pending: "Approval needed". Final: who decided and when, or why it
 * ended, from the decisions and `outcomeReason`; `ranInMs` (when the caller knows how long the approved call took)
 * adds "— ran in 120 ms". Free text (reasons, names) is shortened to `textChars` and markdown-neutralised.
 */
export function outcomeOf(
  request: ApprovalRequestView,
  options: { reviewers: ReviewerNames | undefined; ranInMs: number | undefined; textChars: number },
): Outcome {
  const name = (id: string): string => plainShort(reviewerName(id, options.reviewers), 80);
  const text = (value: string): string => plainShort(value, options.textChars);
  const at = request.decidedAt === undefined ? '' : ` at ${utcClock(request.decidedAt)}`;
  const reason = request.outcomeReason;
  switch (request.status) {
    case 'pending':
      return { headline: 'Approval needed', color: 'default' };
    case 'approved': {
      const approvers = [
        ...new Set(request.decisions.filter((d) => d.decision === 'approve').map((d) => d.reviewerId)),
      ];
      const who = approvers.length === 0 ? '' : ` by ${listNames(approvers.slice(0, 10).map(name))}`;
      let ran = '';
      if (options.ranInMs !== undefined) ran = ` — ran in ${formatRunTime(options.ranInMs)}`;
      else if (request.consumedAt !== undefined) ran = ` — started at ${utcClock(request.consumedAt)}`;
      return { headline: `Approved${who}${at}${ran}`, color: 'good' };
    }
    case 'rejected': {
      const rejection = request.decisions.findLast((d) => d.decision === 'reject');
      if (rejection === undefined)
        return { headline: `Rejected${at}`, color: 'attention', ...detail(reason, text) };
      return {
        headline: `Rejected by ${name(rejection.reviewerId)}: ${text(rejection.comment)}`,
        color: 'attention',
      };
    }
    case 'expired':
      return { headline: `Expired${at}`, color: 'warning', ...detail(stripPrefix(reason, 'expired'), text) };
    case 'cancelled': {
      // The agent's client cancelling is the usual cause; a stopping gateway cancels too, and says so.
      const byAgent = reason === undefined || /^cancelled by the agent\b/i.test(reason);
      if (byAgent) return { headline: `Cancelled by the agent${at}`, color: 'warning' };
      return {
        headline: `Cancelled${at}`,
        color: 'warning',
        ...detail(stripPrefix(reason, 'cancelled'), text),
      };
    }
    case 'abandoned':
      return {
        headline: `Abandoned${at}`,
        color: 'warning',
        ...detail(
          stripPrefix(reason, 'abandoned') ??
            'the gateway that held the call stopped; the call will never run',
          text,
        ),
      };
    case 'failed':
      return {
        headline: `Failed: ${text(stripPrefix(reason, 'failed') ?? 'unknown reason')}`,
        color: 'attention',
      };
  }
}

/**
 * The reviewers' questions and the agent's answers, the last `maxMessages` of them, each as "Bob asked (14:02 UTC):
 * …" / "The agent answered (14:03 UTC): …", plus "Waiting for the agent's answer" while the last one is a question.
 */
export function conversationElements(
  request: ApprovalRequestView,
  options: { reviewers: ReviewerNames | undefined; textChars: number; maxMessages: number },
): CardElement[] {
  const { messages } = request;
  if (messages.length === 0) return [];
  const shown = messages.slice(-options.maxMessages);
  const elements: CardElement[] = [
    {
      type: 'TextBlock',
      text: 'Questions and answers',
      weight: 'bolder',
      spacing: 'medium',
      separator: true,
    },
  ];
  if (shown.length < messages.length) {
    const earlier = messages.length - shown.length;
    elements.push(subtle(`${earlier} earlier message${earlier === 1 ? '' : 's'} not shown.`));
  }
  for (const message of shown) {
    const who =
      message.kind === 'answer'
        ? 'The agent answered'
        : `${plainShort(reviewerName(message.author, options.reviewers), 80)} asked`;
    const body = plainShort(message.text, options.textChars);
    elements.push({ type: 'TextBlock', text: `**${who}** (${utcClock(message.at)}): ${body}`, wrap: true });
  }
  if (request.status === 'pending' && messages.at(-1)?.kind === 'question') {
    elements.push(subtle("Waiting for the agent's answer."));
  }
  return elements;
}

/** "Bob", "Bob and Carol", "Bob, Carol and Dave". */
function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** `120 ms` below a second, else a short duration (`2s`, `1m 5s`). */
function formatRunTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'an unknown time';
  return ms < 1_000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

/** The reason without its leading `expired: ` (the headline already says it); undefined when empty. */
function stripPrefix(reason: string | undefined, status: string): string | undefined {
  if (reason === undefined) return undefined;
  const rest = reason.toLowerCase().startsWith(`${status}:`)
    ? reason.slice(status.length + 1).trim()
    : reason.trim();
  return rest === '' ? undefined : rest;
}

/** A detail line under the headline: the reason, capitalised as a sentence. */
function detail(reason: string | undefined, text: (value: string) => string): { detail?: string } {
  if (reason === undefined || reason.trim() === '') return {};
  return { detail: text(`${reason.charAt(0).toUpperCase()}${reason.slice(1)}`) };
}

function subtle(text: string): CardElement {
  return { type: 'TextBlock', text, isSubtle: true, size: 'small', wrap: true, spacing: 'small' };
}
