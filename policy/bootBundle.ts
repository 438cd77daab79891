/**
 * A k8sha boot bundle (cloud-init/bundle.ts: a self-extracting bash script stored in S3, one per
 * node role) read back into its files with the bundle module's own parser, as text. Used by the
 * no-secrets policy and by the offline synth.
 */
import { parseBootBundle } from "../cloud-init/bundle";

/** How every bundle script starts (cloud-init/bundle.ts header). */
export const BUNDLE_SIGNATURE = /^#!.*\n# k8sha boot bundle/;

export interface BundleEntryText {
  path: string;
  mode: string;
  content: string;
}

export function parseBundle(script: string): BundleEntryText[] {
  return parseBootBundle(script).map((e) => ({
    path: e.path,
    mode: e.mode,
    content: e.content.toString("utf8"),
  }));
}
