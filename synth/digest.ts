/**
 * A synth folder as one sha256 line per file, in `sha256sum` format and path order, so a pinned
 * digest list can be checked with `sha256sum -c` inside a synth folder and a changed file shows as
 * one changed line in review.
 */
import * as crypto from "node:crypto";
import type { SynthResult } from "./mockRuntime";
import { synthFiles } from "./write";

export function synthDigest(result: SynthResult): string {
  const lines = synthFiles(result)
    .map((f) => `${crypto.createHash("sha256").update(f.content).digest("hex")}  ${f.path}`)
    .sort((a, b) => a.slice(66).localeCompare(b.slice(66)));
  return `${lines.join("\n")}\n`;
}

/** The paths whose digest differs between two digest lists, or that only one of them holds. */
export function changedPaths(pinned: string, current: string): string[] {
  const byPath = (text: string) =>
    new Map(
      text
        .split("\n")
        .filter((l) => l.length > 66)
        .map((l) => [l.slice(66), l.slice(0, 64)] as const),
    );
  const a = byPath(pinned);
  const b = byPath(current);
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => a.get(p) !== b.get(p)).sort();
}
