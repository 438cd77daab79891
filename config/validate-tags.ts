/** tags: extra AWS tags on every taggable resource. */
import { AUTOSCALER_TAG } from "../base/autoscaler";
import { TAG_CLUSTER } from "../base/tags";
import { TAG_LIMITS } from "./limits";
import { mapEntryPath, type Section } from "./reader";

/** The characters every tagged service accepts (IAM and Auto Scaling are the strictest). */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/**
 * Prefixes the project sets itself; a user value would be overwritten, break IAM conditions, or
 * (the cluster-autoscaler's, on the worker ASGs beside the user's tags) duplicate a key.
 */
const RESERVED_PREFIXES = ["kubernetes.io/cluster/", `${TAG_CLUSTER.split("/")[0]}/`, `${AUTOSCALER_TAG}/`];

export function readTags(root: Section): Record<string, string> {
  const tags = root.stringMap("tags");
  const entries = Object.entries(tags);
  if (entries.length > TAG_LIMITS.maxTags) {
    root.reject(
      "tags",
      `at most ${TAG_LIMITS.maxTags} tags (AWS allows 50 per resource; the project uses up to 10)`,
    );
  }
  for (const [key, value] of entries) {
    const path = mapEntryPath(root.keyPath("tags"), key);
    if (key.toLowerCase().startsWith("aws:")) {
      root.problems.add(path, key, 'tag keys may not start with "aws:" (reserved by AWS)');
    } else if (RESERVED_PREFIXES.some((p) => key.startsWith(p))) {
      root.problems.add(path, key, `tag keys under ${RESERVED_PREFIXES.join(", ")} are set by this project`);
    } else if (key.length < 1 || key.length > TAG_LIMITS.keyMax || !TAG_CHARS.test(key)) {
      root.problems.add(
        path,
        key,
        `tag key of 1-${TAG_LIMITS.keyMax} letters, digits, spaces and _ . : / = + - @`,
      );
    }
    if (value.length > TAG_LIMITS.valueMax || !TAG_CHARS.test(value)) {
      root.problems.add(
        path,
        value,
        `tag value of 0-${TAG_LIMITS.valueMax} letters, digits, spaces and _ . : / = + - @`,
      );
    }
  }
  return tags;
}
