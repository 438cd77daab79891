/**
 * Boot scripts no longer travel in user-data: each role's scripts are a self-extracting bundle
 * stored as an S3 object (components/bootBundle.ts, cloud-init/bundle.ts). This reads the
 * bundle back into files (policy/bootBundle.ts), so the synth folder shows the scripts a node
 * will run, diffable line by line; secret-looking text is cut out as in user-data.
 */
import { BUNDLE_SIGNATURE, parseBundle } from "../policy/bootBundle";
import type { SynthResult } from "./mockRuntime";
import { stableJson } from "./stableJson";
import { scrub, type UserDataFile } from "./userDataFiles";

export function bundleFiles(result: SynthResult): UserDataFile[] {
  const out: UserDataFile[] = [];
  for (const r of result.resources) {
    const content = r.inputs.content;
    if (!r.type.startsWith("aws:s3/bucketObject") || typeof content !== "string") continue;
    if (!BUNDLE_SIGNATURE.test(content)) continue;
    const entries = parseBundle(content);
    const dir = `bundles/${r.name}`;
    for (const e of entries) out.push({ path: `${dir}/${e.path}`, content: scrub(e.content) });
    const index = entries.map((e) => ({ path: e.path, mode: e.mode }));
    out.push({ path: `${dir}/bundle.json`, content: stableJson({ key: r.inputs.key, files: index }) });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
