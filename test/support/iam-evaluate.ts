/**
 * A deliberately small IAM evaluator for tests: explicit Deny wins, then any Allow whose
 * action, resource (or NotResource) and conditions match. Supports the wildcards `*` and `?`
 * and the operators the node, bucket and add-on policies use: StringEquals, StringLike, ArnLike,
 * Bool, ForAllValues:StringEquals, ForAllValues:StringNotLike, StringNotEquals, StringNotLike,
 * Null and the `...IfExists` forms.
 * Missing condition keys follow IAM: a positive operator fails, a negated operator
 * (StringNotEquals, StringNotLike) and any `...IfExists` operator hold. ForAllValues:StringNotLike
 * also holds without the key (IAM: "for all values" of an empty set), which is why a policy
 * using it must pair it with `Null` = false; ForAllValues:StringEquals keeps failing without
 * the key, as it always did here.
 * It is not AWS's evaluator: it proves what the documents say, not how AWS reads them.
 * Principals are not evaluated: a bucket policy is read as if the caller were its principal.
 */

/** The statement fields the evaluator reads: IAM policies and bucket policies both fit. */
export interface EvaluatedStatement {
  Effect: "Allow" | "Deny";
  Action: string | readonly string[];
  Resource?: string | readonly string[];
  NotResource?: string | readonly string[];
  Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface EvaluatedDocument {
  Statement: readonly EvaluatedStatement[];
}

export interface Request {
  action: string;
  resource: string;
  /** Condition context: key -> value(s), e.g. `aws:ResourceTag/k8sha.io/cluster`. */
  context?: Record<string, string | string[]>;
}

const list = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === "string" ? [v] : [...v];

function glob(pattern: string, value: string, flags = ""): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, flags).test(value);
}

/** Action names match case-insensitively in IAM (`EC2:createtags` is `ec2:CreateTags`). */
const actionGlob = (pattern: string, action: string) => glob(pattern, action, "i");

/**
 * Does `statement` grant `action` at all (an Allow naming it by name, by wildcard, or through
 * NotAction), whatever its resources and conditions? For "no statement grants X" checks.
 */
export function grantsAction(statement: Record<string, unknown>, action: string): boolean {
  if (statement.Effect !== "Allow") return false;
  const patterns = (v: unknown): string[] =>
    v === undefined ? [] : typeof v === "string" ? [v] : (v as string[]);
  if (statement.NotAction !== undefined)
    return !patterns(statement.NotAction).some((p) => actionGlob(p, action));
  return patterns(statement.Action).some((p) => actionGlob(p, action));
}

/**
 * Could `statement` grant any action of `service` (e.g. "iam"): an Allow whose Action (or
 * NotAction complement) a pattern of that service matches, including `*` and `iam:Get*`.
 */
export function grantsService(statement: Record<string, unknown>, service: string): boolean {
  if (statement.Effect !== "Allow") return false;
  const patterns = (v: unknown): string[] =>
    v === undefined ? [] : typeof v === "string" ? [v] : (v as string[]);
  // A pattern covers some action of the service when its service part matches the name.
  const touches = (p: string) => actionGlob(p.split(":")[0] ?? p, service);
  if (statement.NotAction !== undefined)
    return !patterns(statement.NotAction).some((p) => p === "*" || actionGlob(p, `${service}:*`));
  return patterns(statement.Action).some(touches);
}

function operatorHolds(operator: string, wanted: string[], actual: string[] | undefined): boolean {
  const ifExists = operator.endsWith("IfExists");
  const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  // Null: "true" holds when the key is absent, "false" when it is present.
  if (base === "Null") return wanted.includes(String(actual === undefined));
  if (actual === undefined)
    return ifExists || ["StringNotEquals", "StringNotLike", "ForAllValues:StringNotLike"].includes(base);
  switch (base) {
    case "ForAllValues:StringEquals":
      return actual.every((v) => wanted.includes(v));
    case "StringEquals":
    case "Bool":
      return actual.some((v) => wanted.includes(v));
    case "StringNotEquals":
      return !actual.some((v) => wanted.includes(v));
    case "StringLike":
    case "ArnLike":
      return actual.some((v) => wanted.some((w) => glob(w, v)));
    case "StringNotLike":
    case "ForAllValues:StringNotLike":
      return actual.every((v) => !wanted.some((w) => glob(w, v)));
    default:
      throw new Error(`operator ${operator} not supported by the test evaluator`);
  }
}

function conditionHolds(statement: EvaluatedStatement, context: Record<string, string | string[]>): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = context[key];
      return operatorHolds(operator, list(expected), actual === undefined ? undefined : list(actual));
    }),
  );
}

function resourceMatches(statement: EvaluatedStatement, resource: string): boolean {
  if (statement.NotResource !== undefined) return !list(statement.NotResource).some((r) => glob(r, resource));
  return list(statement.Resource).some((r) => glob(r, resource));
}

function matches(statement: EvaluatedStatement, request: Request): boolean {
  return (
    list(statement.Action).some((a) => actionGlob(a, request.action)) &&
    resourceMatches(statement, request.resource) &&
    conditionHolds(statement, request.context ?? {})
  );
}

/** Does any statement of `documents` explicitly deny `request`? */
export function isDenied(documents: readonly EvaluatedDocument[], request: Request): boolean {
  return documents.flatMap((d) => d.Statement).some((s) => s.Effect === "Deny" && matches(s, request));
}

/** Is `request` allowed by the union of `documents` (one role's policies)? */
export function isAllowed(documents: readonly EvaluatedDocument[], request: Request): boolean {
  if (isDenied(documents, request)) return false;
  return documents.flatMap((d) => d.Statement).some((s) => s.Effect === "Allow" && matches(s, request));
}
