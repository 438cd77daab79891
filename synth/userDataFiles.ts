/**
 * Per node role (one launch template each): the decoded user-data document and every
 * write_files entry as a file, so reviewers read the boot scripts a node will really run.
 */

import { isMap, isSeq, parseDocument } from "yaml";
import { findSecrets, SECRET_PATTERNS } from "../policy/rules/noSecretsInUserData";
import { decodeUserData } from "../policy/userData";
import type { SynthResult } from "./mockRuntime";
import { REDACTED } from "./redact";
import { stableJson } from "./stableJson";

export interface UserDataFile {
  /** Path inside the synth folder, e.g. `userdata/dev-master-0/files/opt/k8sha/boot.sh`. */
  path: string;
  content: string;
}

/** Secret-looking text is cut out even here: the folder is a public CI artifact. */
export function scrub(text: string): string {
  if (findSecrets(text).length === 0) return text;
  return SECRET_PATTERNS.reduce(
    (t, p) => t.replace(new RegExp(p.re.source, `${p.re.flags}g`), REDACTED),
    text,
  );
}

/**
 * The cloud-config with each write_files body replaced by the path of its decoded copy: the
 * body is already a file of its own under files/, and inline twice it doubled every diff.
 */
function pointToFiles(text: string): string {
  if (!text.startsWith("#cloud-config")) return text;
  const doc = parseDocument(text);
  const files = doc.get("write_files");
  if (!isSeq(files)) return text;
  for (const entry of files.items) {
    if (!isMap(entry)) continue;
    const target = String(entry.get("path"));
    entry.set("content", `(decoded in files${target.startsWith("/") ? "" : "/"}${target})`);
    entry.delete("encoding");
  }
  const out = doc.toString({ lineWidth: 0 });
  return out.startsWith("#cloud-config") ? out : `#cloud-config\n${out}`;
}

const USER_DATA_TYPES = new Set(["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"]);

export function userDataFiles(result: SynthResult): UserDataFile[] {
  const out: UserDataFile[] = [];
  for (const r of result.resources) {
    const raw = r.inputs.userData;
    if (!USER_DATA_TYPES.has(r.type) || typeof raw !== "string") continue;
    const decoded = decodeUserData(raw);
    const dir = `userdata/${r.name}`;
    out.push({ path: `${dir}/user-data`, content: scrub(pointToFiles(decoded.text)) });
    for (const f of decoded.files) {
      out.push({
        path: `${dir}/files${f.path.startsWith("/") ? "" : "/"}${f.path}`,
        content: scrub(f.content),
      });
    }
    // Files keep their exact content, so modes and owners (part of what a node gets) are listed apart.
    const index = decoded.files.map((f) => ({ path: f.path, permissions: f.permissions, owner: f.owner }));
    out.push({ path: `${dir}/write_files.json`, content: stableJson(index) });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
