/**
 * A deliberately small IAM evaluator for tests: explicit Deny wins, then any Allow whose
 * action, resource and conditions match. Supports the wildcards `*` and `?` and the
 * operators the node policies use (StringEquals, StringLike, ForAllValues:StringEquals).
 * A condition key missing from the request context fails the condition, as in IAM.
 * It is not AWS's evaluator: it proves what the documents say, not how AWS reads them.
 */
import type { PolicyDocument, PolicyStatement } from "../../components/iam/policyDocument";

export interface Request {
  action: string;
  resource: string;
  /** Condition context: key -> value(s), e.g. `aws:ResourceTag/k8sha.io/cluster`. */
  context?: Record<string, string | string[]>;
}

function glob(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

function conditionHolds(statement: PolicyStatement, context: Record<string, string | string[]>): boolean {
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const wanted = ([] as string[]).concat(expected);
      const actual = context[key];
      if (actual === undefined) return false;
      const values = ([] as string[]).concat(actual);
      if (operator === "ForAllValues:StringEquals") {
        if (!values.every((v) => wanted.includes(v))) return false;
      } else if (operator === "StringEquals") {
        if (!values.some((v) => wanted.includes(v))) return false;
      } else if (operator === "StringLike") {
        if (!values.some((v) => wanted.some((w) => glob(w, v)))) return false;
      } else {
        throw new Error(`operator ${operator} not supported by the test evaluator`);
      }
    }
  }
  return true;
}

function matches(statement: PolicyStatement, request: Request): boolean {
  const resources = statement.Resource === "*" ? ["*"] : statement.Resource;
  return (
    statement.Action.some((a) => glob(a, request.action)) &&
    resources.some((r) => glob(r, request.resource)) &&
    conditionHolds(statement, request.context ?? {})
  );
}

/** Is `request` allowed by the union of `documents` (one role's policies)? */
export function isAllowed(documents: PolicyDocument[], request: Request): boolean {
  const statements = documents.flatMap((d) => d.Statement);
  if (statements.some((s) => s.Effect === "Deny" && matches(s, request))) return false;
  return statements.some((s) => s.Effect === "Allow" && matches(s, request));
}
