/**
 * The layers of docs/architecture.md, checked on the real sources: base/ at the bottom, then
 * config/, cloud-init/, addons/ (the add-on manifests), components/, and the entry points on top; no file imports a layer above
 * its own, and no import cycle exists anywhere.
 */

import { PROJECT_ROOT } from "../../synth/mockRuntime";
import { importCycles, layerViolations, readImportGraph } from "../support/importGraph";

/** Which other layers each layer may import. */
const ALLOWED: Record<string, readonly string[]> = {
  base: [],
  config: ["base"],
  "cloud-init": ["base", "config"],
  addons: ["base", "config", "cloud-init"],
  components: ["base", "config", "cloud-init", "addons"],
  provider: ["base", "config", "components"],
  policy: ["base", "cloud-init"],
};

const SOURCES = [
  "base",
  "config",
  "cloud-init",
  "addons",
  "components",
  "provider",
  "policy",
  "synth",
  "index.ts",
  "program.ts",
];
const graph = readImportGraph(PROJECT_ROOT, SOURCES);

test("the graph is read from the sources (a sanity check: config resolves through the schema)", () => {
  expect(graph.get("config/resolve")).toContain("config/schema");
  expect(graph.get("components/cluster")).toContain("components/clusterArgs");
  expect(graph.size).toBeGreaterThan(80);
});

test("no layer imports a layer above it (config/ and cloud-init/ import nothing from components/)", () => {
  expect(layerViolations(graph, ALLOWED)).toEqual([]);
});

test("no import cycle", () => {
  expect(importCycles(graph)).toEqual([]);
});

test("the checks find what they look for (made-up graphs)", () => {
  const made = new Map([
    ["config/a", new Set(["components/b"])],
    ["components/b", new Set(["config/a"])],
    ["base/c", new Set<string>()],
  ]);
  expect(layerViolations(made, ALLOWED)).toEqual(["config/a -> components/b"]);
  expect(importCycles(made)).toEqual([["components/b", "config/a"]]);
});
