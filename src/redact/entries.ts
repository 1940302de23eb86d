// Secrets named by a sibling rather than by their own key: the `{"name": "API_KEY", "value": …}` entries of
// Kubernetes, ECS, Docker, CloudFormation, Elastic Beanstalk and HAR, where the key of the secret is always `value`.

/** Fields that hold the name of an entry (compared lowercase): `name`, `Name`, `key`, `Key`, `ParameterKey`, … */
const NAME_FIELDS: ReadonlySet<string> = new Set(['name', 'key', 'parameterkey', 'optionname']);
/** Fields that hold its value. `valueFrom` (a reference to a Kubernetes or ECS secret, not the secret) is not one. */
const VALUE_FIELDS: ReadonlySet<string> = new Set(['value', 'parametervalue']);

const FIELD_LENGTHS: ReadonlySet<number> = new Set(
  [...NAME_FIELDS, ...VALUE_FIELDS].map((field) => field.length),
);

/** The role of a field in a name and value entry. */
export type EntryField = 'name' | 'value';

/**
 * Whether `key` names an entry (`name`, `key`, `ParameterKey`, `OptionName`) or holds its value (`value`,
 * `ParameterValue`), in any case; undefined for every other key. When the name is a secret key name (by the same test
 * as object keys), the value is masked: `{"name": "DB_PASSWORD", "value": "[REDACTED]"}`.
 */
export function entryField(key: string): EntryField | undefined {
  // Most keys in text are neither: rule them out by length before lowercasing.
  if (!FIELD_LENGTHS.has(key.length)) return undefined;
  const lower = key.toLowerCase();
  if (NAME_FIELDS.has(lower)) return 'name';
  return VALUE_FIELDS.has(lower) ? 'value' : undefined;
}
