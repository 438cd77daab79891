/** docs/configuration.md must not drift from config/defaults.ts or config/schema.ts: every stated default is checked, and every key is documented: every stated default is checked. */
import * as fs from "node:fs";
import * as path from "node:path";
import { AWS_ADDONS } from "../../base/addons";
import { SECTION_KEYS } from "../../config/schema";
import { parseConfig } from "../../config/stack";
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

/** How the doc names each key of config/schema.ts (a key that is a section is documented by its own keys). */
function documentedPaths(): string[] {
  const nested: Record<string, string> = { existingVpc: "network.existingVpc", etcdVolume: "etcd.volume" };
  const paths: string[] = [];
  for (const section of Object.keys(SECTION_KEYS) as (keyof typeof SECTION_KEYS)[]) {
    const keys: readonly string[] = SECTION_KEYS[section];
    if (section === "taint") {
      paths.push(`{${keys.join(", ")}}`);
      continue;
    }
    // `addons` holds only the add-ons' sections; `addon` is the section of every add-on but the
    // CSI driver, whose own section is `ebsCsiDriver`.
    if (section === "addons") continue;
    if (section === "addon" || section === "ebsCsiDriver") {
      const addons = section === "addon" ? AWS_ADDONS.filter((a) => a !== "ebsCsiDriver") : ["ebsCsiDriver"];
      for (const addon of addons) paths.push(...keys.map((key) => `addons.${addon}.${key}`));
      continue;
    }
    for (const key of keys) {
      if (section === "cluster" && key === "region") continue; // aws:region, the provider's key
      if ((section === "network" && key === "existingVpc") || (section === "etcd" && key === "volume"))
        continue;
      if (section === "cluster" || section === "workerPool") paths.push(key);
      else paths.push(`${nested[section] ?? section}.${key}`);
    }
  }
  return paths;
}

test.each(documentedPaths())("the schema key %s is documented", (key) => {
  expect(doc).toContain(`\`${key}\``);
});
