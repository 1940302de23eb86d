// The approvals sections of warden.yaml: reviewers (and the identities channels know them by), groups, approval
// timing, and where the review service listens.
import { z } from 'zod';
import { duration, expecting, settings } from './schema-kit.js';

/** Reviewer ids and group names (keys under `reviewers` and `groups`). */
export const REVIEWER_ID_PATTERN = /^[a-zA-Z0-9_.@-]{1,64}$/;

/** A reviewer API token as config keeps it: `sha256:` and the token's sha256 in lowercase hex. */
export const TOKEN_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

export const reviewerSchema = settings(
  {
    name: z.string({ error: expecting('a string (shown on cards and in the audit log)') }).optional(),
    email: z
      .string({ error: expecting('a string (the email or UPN a channel knows the reviewer by)') })
      .min(1, 'must not be empty')
      .optional(),
    entraObjectId: z
      .string({ error: expecting('a string (the Microsoft Entra object id Teams reports, a GUID)') })
      .min(1, 'must not be empty')
      .optional(),
    tokenHash: z
      .string({ error: expecting('a string: sha256: and 64 hex digits') })
      .regex(
        TOKEN_HASH_PATTERN,
        "expected sha256: followed by 64 lowercase hex digits, the hash of the reviewer's API token (`warden review token --reviewer <id>` prints both); never the token itself",
      )
      .optional(),
  },
  "a mapping of the reviewer's identities (name, email, entraObjectId, tokenHash)",
);

export const idRecord = <T extends z.ZodType>(value: T, what: string, keyWhat: string) =>
  z.record(z.string().regex(REVIEWER_ID_PATTERN), value, {
    error: (issue) => {
      if (issue.code === 'invalid_key') {
        return `not a valid ${keyWhat}: use letters, digits, _, ., @ and - (at most 64 characters)`;
      }
      return expecting(what)(issue);
    },
  });

export const approvalsSchema = settings(
  {
    /** How long reviewers have when the policy rule sets no timeout, in ms. */
    defaultTimeout: duration('how long reviewers have to decide').default(900_000),
    /** Reviewers for rules that name none (`group:<name>` or `user:<id>`); the example policies name none. */
    defaultReviewers: z
      .array(
        z
          .string({ error: expecting('a string such as group:oncall or user:bob') })
          .regex(/^(user|group):[a-zA-Z0-9_.@-]{1,64}$/, 'reviewers are written user:<id> or group:<name>'),
        { error: expecting('a list of reviewers, e.g. [group:oncall]') },
      )
      .default([]),
    /**
     * Longest a `tools/call` is held open, in ms, per MCP client name (`clientInfo.name`); `default` for the rest.
     * Hosts cap tool calls (Claude Desktop's `claude-ai` at about a minute), so hold less than that.
     */
    holdLimits: z
      .record(z.string().min(1, 'must not be empty'), duration('how long to hold a call'), {
        error: expecting('a mapping of MCP client name (or "default") to a duration, e.g. { default: 5m }'),
      })
      .transform((limits): Record<string, number> => ({ default: 300_000, 'claude-ai': 50_000, ...limits }))
      .prefault({}),
    /** Interval of progress heartbeats while a call is held, in ms. */
    heartbeat: duration('the progress heartbeat interval').default(5_000),
    /** How often a waiting gateway reads the database, in ms. */
    poll: duration('how often a waiting gateway checks for a decision').default(200),
    /** How long a gateway waits for a live review service before failing closed, in ms. */
    reviewServiceGrace: duration('how long to wait for a review service').default(3_000),
    /** Most calls one gateway session holds for approval at once; beyond it, calls that need approval are denied. */
    maxHeldCalls: z
      .number({ error: expecting('a whole number of calls, e.g. 100') })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000')
      .default(100),
    /** How long an approval stays collectable after it came in, even past the request's expiry, in ms. */
    collectGrace: duration('how long an approved call waits to be collected').default(60_000),
  },
  'a mapping of approval settings (defaultTimeout, defaultReviewers, holdLimits, heartbeat, poll, reviewServiceGrace, maxHeldCalls, collectGrace)',
);

export const reviewServiceSchema = settings(
  {
    host: z
      .string({ error: expecting('a string (the address to listen on)') })
      .min(1)
      .default('127.0.0.1'),
    port: z
      .number({ error: expecting('a port number') })
      .int('must be a whole number')
      .min(0, 'must be 0 (any free port) or more')
      .max(65_535, 'must be at most 65535')
      .default(3978),
    /** Run the review service inside `warden serve` (one user on one machine). */
    inProcess: z.boolean({ error: expecting('true or false') }).default(false),
  },
  'a mapping of review service settings (host, port, inProcess)',
);
