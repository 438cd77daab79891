/**
 * Redaction for the synth folder, which is uploaded as a CI artifact readable by anyone who
 * can see the PR: private keys, tokens and SecureString values must never reach it. Mocks
 * return secrets in plain form, so redaction goes by property name AND by content.
 */
import { findSecrets } from "../policy/rules/noSecretsInUserData";

export const REDACTED = "[redacted]";

/** Property names that hold secret material in the AWS/TLS/random providers. */
const SECRET_KEY_RE = /^(private_?key\w*|password|\w*secret\w*|token|bootstrap_?token\w*)$/i;
/** Where the generic names `value`/`result` are the secret itself. */
const SECRET_VALUE_RE = /^(value|result)$/;

function isSecretKey(type: string, key: string): boolean {
  if (SECRET_KEY_RE.test(key)) return true;
  return (type.startsWith("aws:ssm/") || type.startsWith("random:")) && SECRET_VALUE_RE.test(key);
}

/**
 * Returns a copy of `value` with secret-looking strings replaced. `value`/`result` are treated
 * as secret only where they are (SSM parameters, random strings); elsewhere the names are common.
 */
export function redact(value: unknown, type = "", key = ""): unknown {
  if (typeof value === "string") {
    return isSecretKey(type, key) || findSecrets(value).length > 0 ? REDACTED : value;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, type, key));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redact(v, type, k);
    return out;
  }
  return value;
}
