/** docs/configuration.md must not drift from components/defaults.ts: every stated default is checked. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../../config/parse";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

const doc = fs.readFileSync(path.join(PROJECT_ROOT, "docs/configuration.md"), "utf8");
const minimal = parseConfig({ "aws:region": "eu-west-1", "k8s-ha:clusterName": "docs" });

/** Rows `| \`key\` | type | \`default\` | rule |` with a single backticked default. */
const rows = [...doc.matchAll(/^\| `([A-Za-z.]+)`\s*\|(?:[^|\\]|\\\|)+\|\s*`([^`]+)`\s*\|/gm)].map(
  (m) => [m[1], m[2]] as const,
);

function valueAt(key: string): unknown {
  // Pool rows use keys relative to a pool; the default pool is workerPools[0].
  const root: unknown = key.includes(".") || key in minimal ? minimal : minimal.workerPools[0];
  return key.split(".").reduce<unknown>((obj, part) => (obj as Record<string, unknown>)?.[part], root);
}

function parseDocValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

test("the doc states defaults for most keys", () => {
  expect(rows.length).toBeGreaterThanOrEqual(35);
});

test.each(rows)("default of %s matches defaults.ts", (key, stated) => {
  expect(valueAt(key)).toEqual(parseDocValue(stated));
});
