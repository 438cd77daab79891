/** Writes a synth folder: resources.json, summary.json, summary.md, userdata/<role>/, bundles/<object>/. */
import * as fs from "node:fs";
import * as path from "node:path";
import { bundleFiles } from "./bundleFiles";
import type { SynthResult } from "./mockRuntime";
import { listResources } from "./resources";
import { stableJson } from "./stableJson";
import { type SynthSummary, summarize } from "./summary";
import { renderSummaryMarkdown } from "./summaryMarkdown";
import { userDataFiles } from "./userDataFiles";

export interface SynthFolder {
  dir: string;
  files: string[];
  summary: SynthSummary;
}

/** One file of a synth folder, relative to the folder. */
export interface SynthFile {
  path: string;
  content: string;
}

/** Every file a synth folder holds, in memory; `summary` is the one summary.json is made from. */
export function synthFiles(result: SynthResult, summary: SynthSummary = summarize(result)): SynthFile[] {
  return [
    { path: "resources.json", content: stableJson(listResources(result)) },
    { path: "summary.json", content: stableJson(summary) },
    { path: "summary.md", content: renderSummaryMarkdown(summary) },
    ...userDataFiles(result),
    ...bundleFiles(result),
  ];
}

/** Replaces `dir` entirely (stale files from an earlier synth would make diffs lie). */
export function writeSynthFolder(result: SynthResult, dir: string): SynthFolder {
  const summary = summarize(result);
  const files = synthFiles(result, summary);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    const target = path.join(dir, f.path);
    // write_files paths come from user-data: never let one escape the folder.
    if (!path.resolve(target).startsWith(path.resolve(dir) + path.sep)) {
      throw new Error(`refusing to write outside ${dir}: ${f.path}`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
  }
  return { dir, files: files.map((f) => f.path).sort(), summary };
}
