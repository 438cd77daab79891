/**
 * S3 object bodies (the boot bundles, ~150 KB of base64 each) are shown in summary and
 * resources.json as size and sha256 only: embedded, a one-line script change rewrote whole
 * lines of those files and made `diff -r` of two synth folders unreadable. The decoded scripts
 * are in bundles/<object>/, one file each, where a change shows line by line.
 */
import * as crypto from "node:crypto";
import { BUNDLE_SIGNATURE } from "../policy/bootBundle";

/** `(<bytes> bytes, sha256 <hex>[; unpacked in bundles/<name>/])`. */
export function describeObjectContent(objectName: string, content: string): string {
  const bytes = Buffer.byteLength(content, "utf8");
  const sha256 = crypto.createHash("sha256").update(content, "utf8").digest("hex");
  const where = BUNDLE_SIGNATURE.test(content) ? `; unpacked in bundles/${objectName}/` : "";
  return `(${bytes} bytes, sha256 ${sha256}${where})`;
}

/** `props` with a string `content` of an S3 object replaced by its description. */
export function withContentDigest<T extends Record<string, unknown>>(
  type: string,
  name: string,
  props: T,
): T {
  if (!type.startsWith("aws:s3/bucketObject") || typeof props.content !== "string") return props;
  return { ...props, content: describeObjectContent(name, props.content) };
}
