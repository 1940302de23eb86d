// Adaptive Cards for Teams approvals, built from a request view as plain JSON: the pending card (read-only for
// everyone, with Approve / Reject / Ask for the reviewers) and the final cards (outcome, no buttons). Pure functions:
// no I/O, and no clock but `context.now`. Cards use schema 1.5 elements Teams renders and stay under MAX_CARD_BYTES.
import { MAX_TEXT_CHARS } from '../decision-rules.js';
import type { ApprovalRequestView } from '../types.js';
import { argumentElements, type ArgumentBudget } from './card-arguments.js';
import { conversationElements, outcomeOf, reviewerName, type ReviewerNames } from './card-outcome.js';
import { plainShort, plainText, relativeTime, utcDateTime } from './card-text.js';
import type { AdaptiveCard, CardColor, CardElement, ExecuteAction, Fact } from './card-types.js';

export type { AdaptiveCard, CardActionData, CardElement, ExecuteAction } from './card-types.js';

/** Teams rejects cards over ~28 KB (serialized JSON, UTF-8); every card built here is at most this. */
export const MAX_CARD_BYTES = 28_000;

/** Teams refreshes a card automatically for at most 60 users. */
export const MAX_REFRESH_USERS = 60;

/** The `verb` of each Action.Execute on an approval card; the bot routes on these. */
export type CardVerb = 'warden.approve' | 'warden.reject' | 'warden.ask' | 'warden.refresh';

export const CARD_VERBS = {
  approve: 'warden.approve',
  reject: 'warden.reject',
  ask: 'warden.ask',
  refresh: 'warden.refresh',
} as const satisfies Record<string, CardVerb>;

/** The id of the card's text input: its value arrives in the action's data as `comment` (reason or question). */
export const COMMENT_INPUT_ID = 'comment';

/** What a card needs besides the request. */
export interface CardContext {
  /** "in 14m" / "3m ago" are relative to this. */
  now: Date;
  /**
   * Entra object ids of the request's reviewers: Teams fetches the reviewer card (`warden.refresh`) for these users
   * only. Written to `refresh.userIds` as Teams user MRIs (`8:orgid:<id>`; values that already contain `:` are kept
   * as given), de-duplicated, at most MAX_REFRESH_USERS (the rest get Teams' manual refresh).
   */
  reviewerEntraIds: string[];
  /** Stored per notification and checked by the bot: the only thing besides the request id an action carries. */
  nonce: string;
  /** The card everyone sees: no input and no buttons (a pending one still has `refresh` for the reviewers). */
  readOnly?: boolean;
  /** Reviewers' display names; ids are shown otherwise. */
  reviewers?: ReviewerNames;
  /** How long the approved call ran, when known: "Approved by Bob at 14:02 UTC — ran in 120 ms". */
  ranInMs?: number;
}

/** How much of each part a card shows; tried from generous to small until the card fits. */
interface Budget {
  args: ArgumentBudget | undefined;
  textChars: number;
  maxMessages: number;
  maxItems: number;
}

/**
 * Arguments shrink first, then go (with a note and their hash), then free text shrinks. The last budget bounds the
 * card whatever the request holds: every text is at most 80 characters (≤ 6 bytes each once JSON-escaped), there are
 * a fixed number of them, and at most 60 refresh users.
 */
const BUDGETS: readonly Budget[] = [
  { args: { valueChars: 300, keyChars: 80, maxKeys: 25 }, textChars: 1_000, maxMessages: 10, maxItems: 20 },
  { args: { valueChars: 120, keyChars: 60, maxKeys: 15 }, textChars: 1_000, maxMessages: 10, maxItems: 20 },
  { args: { valueChars: 40, keyChars: 40, maxKeys: 10 }, textChars: 1_000, maxMessages: 10, maxItems: 20 },
  { args: undefined, textChars: 1_000, maxMessages: 10, maxItems: 20 },
  { args: undefined, textChars: 300, maxMessages: 4, maxItems: 10 },
  { args: undefined, textChars: 80, maxMessages: 2, maxItems: 5 },
];

const RISK_COLORS: Readonly<Record<string, CardColor>> = {
  low: 'good',
  medium: 'accent',
  high: 'warning',
  critical: 'attention',
};

/**
 * The card for `request` as it stands (by `request.status`). Pending: risk word and colour, tool and server, agent and
 * principal, rules and reason, the redacted arguments (shortened), the arguments' hash, asked at / expires at, the
 * questions and answers, approvals so far of the quorum, `refresh` for the reviewers, and, unless `readOnly`, a
 * `comment` input with Approve / Reject / Ask buttons whose data is exactly `{ requestId, nonce }`. Final statuses: the
 * same details under the outcome, with no input, buttons or refresh. Every string that came from the agent, the
 * downstream server or a person is markdown-neutralised, and the JSON is at most MAX_CARD_BYTES whatever the request
 * holds (shrinking arguments, then dropping them, then shortening text).
 */
export function buildApprovalCard(request: ApprovalRequestView, context: CardContext): AdaptiveCard {
  let card: AdaptiveCard | undefined;
  for (const budget of BUDGETS) {
    card = renderCard(request, context, budget);
    if (cardSizeBytes(card) <= MAX_CARD_BYTES) return card;
  }
  // The last budget is small by construction (see BUDGETS); returning it keeps the function total.
  return card as AdaptiveCard;
}

/** The card's size as Teams counts it: bytes of its JSON in UTF-8. */
export function cardSizeBytes(card: AdaptiveCard): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

/** `refresh.userIds` for these Entra object ids: Teams MRIs, de-duplicated ignoring case, at most 60. */
export function refreshUserIds(entraIds: readonly string[]): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const raw of entraIds) {
    const id = raw.trim();
    if (id === '' || seen.has(id.toLowerCase())) continue;
    seen.add(id.toLowerCase());
    ids.push(id.includes(':') ? id : `8:orgid:${id}`);
    if (ids.length === MAX_REFRESH_USERS) break;
  }
  return ids;
}

function renderCard(request: ApprovalRequestView, context: CardContext, budget: Budget): AdaptiveCard {
  const pending = request.status === 'pending';
  const outcome = outcomeOf(request, {
    reviewers: context.reviewers,
    ranInMs: context.ranInMs,
    textChars: budget.textChars,
  });
  const tool = plainShort(request.exposedName, 120);

  const header: CardElement[] = [
    {
      type: 'TextBlock',
      text: `${plainShort(request.risk.toUpperCase(), 40)} RISK`,
      color: RISK_COLORS[request.risk] ?? 'default',
      weight: 'bolder',
      size: 'small',
    },
    { type: 'TextBlock', text: `${outcome.headline}: ${tool}`, size: 'large', weight: 'bolder', wrap: true },
  ];
  if (!pending) {
    header[1] = { type: 'TextBlock', text: tool, size: 'medium', weight: 'bolder', wrap: true };
    header.push({
      type: 'TextBlock',
      text: outcome.headline,
      color: outcome.color,
      weight: 'bolder',
      wrap: true,
    });
  }
  if (outcome.detail !== undefined) header.push({ type: 'TextBlock', text: outcome.detail, wrap: true });

  const body: CardElement[] = [
    { type: 'Container', items: header },
    ...conversationElements(request, { reviewers: context.reviewers, ...budget }),
    { type: 'FactSet', facts: facts(request, context, budget), spacing: 'medium', separator: true },
    ...argumentElements(request, budget.args),
    {
      type: 'TextBlock',
      text: `Arguments hash (sha256): ${plainText(request.argsHash)}`,
      fontType: 'monospace',
      size: 'small',
      isSubtle: true,
      wrap: true,
    },
  ];

  const card: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: plainShort(
      `Warden approval ${request.status}: ${request.exposedName} (${request.risk} risk)`,
      200,
    ),
    body,
  };
  if (!pending) return card;

  const data = { requestId: request.id, nonce: context.nonce };
  card.refresh = {
    action: { type: 'Action.Execute', verb: CARD_VERBS.refresh, data: { ...data } },
    userIds: refreshUserIds(context.reviewerEntraIds),
  };
  if (context.readOnly === true) {
    body.push(subtle('The reviewers of this request see the buttons to approve, reject or ask.'));
    return card;
  }
  body.push({
    type: 'Input.Text',
    id: COMMENT_INPUT_ID,
    label: 'Reason (to reject) or question (to ask for info)',
    placeholder: 'Not needed to approve',
    isMultiline: true,
    maxLength: MAX_TEXT_CHARS,
    isRequired: true,
    errorMessage: 'Write a reason to reject, or a question to ask.',
    spacing: 'medium',
    separator: true,
  });
  card.actions = [
    action(CARD_VERBS.approve, 'Approve', data, { style: 'positive', associatedInputs: 'none' }),
    action(CARD_VERBS.reject, 'Reject', data, { style: 'destructive', associatedInputs: 'auto' }),
    action(CARD_VERBS.ask, 'Ask for info', data, { associatedInputs: 'auto' }),
  ];
  return card;
}

function facts(request: ApprovalRequestView, context: CardContext, budget: Budget): Fact[] {
  const text = (value: string): string => plainShort(value, budget.textChars);
  const list = (values: readonly string[]): string => {
    const shown = values.slice(0, budget.maxItems).join(', ');
    const more = values.length > budget.maxItems ? ` and ${values.length - budget.maxItems} more` : '';
    return text(`${shown}${more}`) || '(none)';
  };
  const agent = [request.agent.name, request.agent.version].filter(
    (part) => part !== undefined && part !== '',
  );
  const approvers = [
    ...new Set(request.decisions.filter((d) => d.decision === 'approve').map((d) => d.reviewerId)),
  ].map((id) => reviewerName(id, context.reviewers));
  const approvals = `${request.approvals} of ${request.quorum}${approvers.length > 0 ? ` (${list(approvers)})` : ''}`;

  const rows: Fact[] = [
    { title: 'Tool', value: text(request.tool) },
    { title: 'Server', value: text(request.server) },
    { title: 'Agent', value: agent.length > 0 ? text(agent.join(' ')) : 'not reported' },
    { title: 'On behalf of', value: text(principal(request)) },
    { title: 'Rules', value: list(request.rules) },
    { title: 'Policy reason', value: text(request.reason) || '(none given)' },
    { title: 'Reviewers', value: list(request.reviewerSpecs) },
    { title: 'Approvals', value: approvals },
  ];
  // Relative times only while pending: a final card is never rebuilt, so "2m ago" would go stale on it.
  const now = request.status === 'pending' ? context.now : undefined;
  rows.push({ title: 'Asked', value: when(request.createdAt, now) });
  if (request.status === 'pending') rows.push({ title: 'Expires', value: when(request.expiresAt, now) });
  else if (request.decidedAt !== undefined)
    rows.push({ title: 'Ended', value: when(request.decidedAt, now) });
  rows.push({ title: 'Request', value: text(request.id) });
  return rows;
}

/** "Alice (alice@example.com)", or whatever identity fields the requester has. */
function principal(request: ApprovalRequestView): string {
  const { name, email, id, entraObjectId } = request.requester;
  const label = name ?? id ?? email ?? entraObjectId ?? 'unknown';
  const extra = email !== undefined && email !== label ? ` (${email})` : '';
  return `${label}${extra}`;
}

/** "14:02 UTC, 2025-03-01", with " (in 14m)" / " (3m ago)" when `now` is given. */
function when(iso: string, now: Date | undefined): string {
  const relative = now === undefined ? '' : relativeTime(iso, now);
  return `${plainText(utcDateTime(iso))}${relative === '' ? '' : ` (${relative})`}`;
}

function action(
  verb: CardVerb,
  title: string,
  data: { requestId: string; nonce: string },
  options: Pick<ExecuteAction, 'style' | 'associatedInputs'>,
): ExecuteAction {
  return { type: 'Action.Execute', verb, title, data: { ...data }, ...options };
}

function subtle(text: string): CardElement {
  return { type: 'TextBlock', text, isSubtle: true, size: 'small', wrap: true, spacing: 'small' };
}
