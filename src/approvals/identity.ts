// Who may decide a request: reviewer specs resolved to reviewer ids, separation of duties (the requester never
// reviews their own call, one person counts once), and reviewer API tokens stored and compared as hashes.
import { createHash, timingSafeEqual } from 'node:crypto';
import { TOKEN_HASH_PATTERN } from '../config/schema.js';
import type { DecisionIdentity, IdentityFields, Reviewer } from './types.js';

/** Reviewer ids and group names, and the stored form of a token (`sha256:<hex>`), as config validates them. */
export { REVIEWER_ID_PATTERN, TOKEN_HASH_PATTERN } from '../config/schema.js';

/** A reviewer's identities as written in config, under `reviewers.<id>`. */
export interface ReviewerSettings {
  name?: string | undefined;
  email?: string | undefined;
  entraObjectId?: string | undefined;
  tokenHash?: string | undefined;
}

/** The config's `reviewers` mapping as a list, each with its id. */
export function reviewersFromConfig(settings: Readonly<Record<string, ReviewerSettings>>): Reviewer[] {
  return Object.entries(settings).map(([id, fields]) => {
    const reviewer: Reviewer = { id };
    if (fields.name !== undefined) reviewer.name = fields.name;
    if (fields.email !== undefined) reviewer.email = fields.email;
    if (fields.entraObjectId !== undefined) reviewer.entraObjectId = fields.entraObjectId;
    if (fields.tokenHash !== undefined) reviewer.tokenHash = fields.tokenHash;
    return reviewer;
  });
}

/**
 * `sha256:<hex>` of a reviewer API token: the only form a token is kept in (config, audit log). `warden` operators
 * put this in `reviewers.<id>.tokenHash` and hand the token itself to the reviewer.
 */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/**
 * The reviewer whose `tokenHash` is the hash of `token`, or undefined. Every reviewer is compared, each in constant
 * time, so the time taken says nothing about which hash (or how much of one) matched. A token that matches two
 * reviewers matches nobody: the config is ambiguous, and guessing would let one reviewer act as another.
 */
export function matchTokenHash(token: string, reviewers: readonly Reviewer[]): Reviewer | undefined {
  if (token.length === 0) return undefined;
  const presented = createHash('sha256').update(token, 'utf8').digest();
  const placeholder = Buffer.alloc(presented.length);
  const matches: Reviewer[] = [];
  for (const reviewer of reviewers) {
    const stored = storedDigest(reviewer.tokenHash);
    // Security: compare even when nothing is stored, so timing does not reveal which reviewers use tokens.
    const equal = timingSafeEqual(presented, stored ?? placeholder);
    if (equal && stored !== undefined) matches.push(reviewer);
  }
  return matches.length === 1 ? matches[0] : undefined;
}

function storedDigest(tokenHash: string | undefined): Buffer | undefined {
  if (tokenHash === undefined || !TOKEN_HASH_PATTERN.test(tokenHash)) return undefined;
  return Buffer.from(tokenHash.slice('sha256:'.length), 'hex');
}

/** The reviewer a channel knows by this email/UPN or Entra object id (compared case-insensitively), if exactly one. */
export function findReviewer(
  reviewers: readonly Reviewer[],
  kind: 'email' | 'entraObjectId',
  value: string,
): Reviewer | undefined {
  const wanted = normalize(value);
  if (wanted === undefined) return undefined;
  const found = reviewers.filter((r) => normalize(r[kind]) === wanted);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * True when two sets of identities belong to the same person: any of id/email of one equals id/email of the other,
 * or their Entra object ids are equal. All comparisons ignore case and surrounding spaces: emails and ids are
 * case-insensitive in practice, and Entra object ids are GUIDs, which are too. Erring towards "same person" is the
 * safe side: it can only refuse a decision, never admit one.
 */
export function isSamePerson(a: IdentityFields, b: IdentityFields): boolean {
  const namesA = [a.id, a.email].map(normalize).filter((v) => v !== undefined);
  const namesB = new Set([b.id, b.email].map(normalize).filter((v) => v !== undefined));
  if (namesA.some((name) => namesB.has(name))) return true;
  const oidA = normalize(a.entraObjectId);
  return oidA !== undefined && oidA === normalize(b.entraObjectId);
}

/**
 * Separation of duties: whether the reviewer (as configured) or the identity they decided with is the requester.
 * Both are checked, so a decision cannot slip through when the review service's config differs from the gateway's.
 */
export function isRequester(
  reviewer: Reviewer | undefined,
  identity: DecisionIdentity,
  requester: IdentityFields,
): boolean {
  if (reviewer && isSamePerson(reviewer, requester)) return true;
  if (isSamePerson({ id: identity.reviewerId }, requester)) return true;
  if (identity.kind === 'email') return isSamePerson({ email: identity.value }, requester);
  if (identity.kind === 'entraObjectId') return isSamePerson({ entraObjectId: identity.value }, requester);
  return false;
}

/**
 * How many different people the reviewer ids stand for: two ids whose configured identities match (isSamePerson)
 * are one person. Ids missing from `reviewers` count as themselves.
 */
export function countPeople(ids: readonly string[], reviewers: ReadonlyMap<string, Reviewer>): number {
  const people: IdentityFields[][] = [];
  for (const id of new Set(ids)) {
    const fields = reviewers.get(id) ?? { id };
    const matching = people.filter((person) => person.some((other) => isSamePerson(fields, other)));
    const merged = [fields, ...matching.flat()];
    for (const person of matching) people.splice(people.indexOf(person), 1);
    people.push(merged);
  }
  return people.length;
}

export type ResolvedReviewers =
  | {
      ok: true;
      /** Eligible reviewer ids, in the order the specs name them, without duplicates and without the requester. */
      reviewers: string[];
      /** Ids removed because they are the requester (separation of duties). */
      excluded: string[];
    }
  | { ok: false; reason: string };

/**
 * Resolves a rule's `user:<id>` / `group:<name>` specs against the configured reviewers and groups, removes the
 * requester, and checks the quorum can be reached by different people. Anything else (an unknown reviewer or group,
 * a malformed spec, no reviewers, a quorum too high) is a reason to fail the request at once: waiting for approvals
 * that can never come only delays a denial.
 */
export function resolveReviewers(input: {
  specs: readonly string[];
  quorum: number;
  reviewers: ReadonlyMap<string, Reviewer>;
  groups: Readonly<Record<string, readonly string[]>>;
  requester: IdentityFields;
}): ResolvedReviewers {
  const { specs, quorum, reviewers, groups, requester } = input;
  if (!Number.isInteger(quorum) || quorum < 1) {
    return { ok: false, reason: `quorum must be a whole number of at least 1, got ${quorum}` };
  }
  if (specs.length === 0) {
    return {
      ok: false,
      reason: 'the rule names no reviewers; add reviewers: [user:<id>] or [group:<name>] to the policy rule',
    };
  }
  const problems: string[] = [];
  const resolved: string[] = [];
  for (const spec of specs) {
    const found = /^(user|group):(.+)$/.exec(spec);
    if (!found) {
      problems.push(`reviewer spec "${spec}" must be user:<reviewer id> or group:<group name>`);
      continue;
    }
    const [, kind, name] = found as unknown as [string, 'user' | 'group', string];
    if (kind === 'user') {
      if (reviewers.has(name)) resolved.push(name);
      else problems.push(`${spec} names no reviewer in the config (${listed(reviewers.keys())})`);
      continue;
    }
    const members = Object.hasOwn(groups, name) ? groups[name] : undefined;
    if (members === undefined) {
      problems.push(`${spec} names no group in the config (${listed(Object.keys(groups))})`);
      continue;
    }
    for (const member of members) {
      if (reviewers.has(member)) resolved.push(member);
      else problems.push(`${spec} has member "${member}", who is not a configured reviewer`);
    }
  }
  if (problems.length > 0) {
    return {
      ok: false,
      reason: `${problems.join('; ')}; fix the policy rule or the config's reviewers/groups`,
    };
  }
  const unique = [...new Set(resolved)];
  const excluded = unique.filter((id) => isSamePerson(reviewers.get(id)!, requester));
  const eligible = unique.filter((id) => !excluded.includes(id));
  const people = countPeople(eligible, reviewers);
  if (people < quorum) {
    const who = eligible.length > 0 ? ` (${eligible.join(', ')})` : '';
    const without = excluded.length > 0 ? `, not counting the requester (${excluded.join(', ')})` : '';
    return {
      ok: false,
      reason: `quorum ${quorum} cannot be reached: ${specs.join(', ')} ${specs.length === 1 ? 'resolves' : 'resolve'} to ${people} ${people === 1 ? 'person' : 'people'}${who}${without}; add reviewers or lower the quorum`,
    };
  }
  return { ok: true, reviewers: eligible, excluded };
}

/** How a reviewer is named to people: their name, else their id. */
export function displayName(reviewer: IdentityFields & { id: string }): string {
  return reviewer.name?.trim() || reviewer.id;
}

function listed(names: Iterable<string>): string {
  const all = [...names];
  return all.length === 0 ? 'none are configured' : `configured: ${all.join(', ')}`;
}

function normalize(value: string | undefined): string | undefined {
  const text = value?.trim().toLowerCase();
  return text ? text : undefined;
}
