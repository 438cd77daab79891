/**
 * What a reviewer sees of a one-line boot-script change: two real synth folders (the repository
 * as it is and a copy with one line added to a boot library) differ by a small `diff -ru` that
 * names the script, and scripts/synth-diff.sh turns it into a bounded Markdown report with
 * summary.md first.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

/** What the program needs to run; node_modules is linked, not copied. */
const SOURCES = ["base", "addons", "cloud-init", "components", "config", "policy", "synth", "scripts"];
const FILES = ["index.ts", "program.ts", "Pulumi.yaml", "Pulumi.dev.yaml", "package.json", "tsconfig.json"];
const SCRIPT = "cloud-init/lib/boot-mode.sh";
const DIFF = path.join(PROJECT_ROOT, "scripts", "synth-diff.sh");

let tmp: string;

function copyRepo(to: string): void {
  fs.mkdirSync(to);
  for (const d of SOURCES) fs.cpSync(path.join(PROJECT_ROOT, d), path.join(to, d), { recursive: true });
  for (const f of FILES) fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(to, f));
  fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(to, "node_modules"));
}

function synth(repo: string, out: string): void {
  execFileSync(process.execPath, ["-r", "@swc-node/register", "synth/cli.ts", "dev", "--out", out], {
    cwd: repo,
    env: { ...process.env, SWC_NODE_SOURCE_MAP_MODE: "none", K8SHA_SYNTH_CACHE_DIR: "" },
    stdio: "pipe",
  });
}

function diffRu(): string {
  const r = spawnSync("diff", ["-ru", "a", "b"], { cwd: tmp, encoding: "utf8" });
  expect(r.status).toBe(1);
  return r.stdout;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-diff-"));
  // Both sides from copies taken now, so edits elsewhere in the tree during the run do not show.
  copyRepo(path.join(tmp, "repo-a"));
  copyRepo(path.join(tmp, "repo-b"));
  const script = path.join(tmp, "repo-b", SCRIPT);
  const lines = fs.readFileSync(script, "utf8").split("\n");
  lines.splice(1, 0, "# a one-line change a reviewer must see");
  fs.writeFileSync(script, lines.join("\n"));
  synth(path.join(tmp, "repo-a"), path.join(tmp, "a"));
  synth(path.join(tmp, "repo-b"), path.join(tmp, "b"));
}, 120000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("a one-line boot-script change is a small diff -ru that names the script", () => {
  const diff = diffRu();
  // Measured 8.5 KB: the script hunk, the new bundle key and sha256 in summary, resources.json
  // and bundle.json, each master's node.env, which carries the key, and each master's node-spec
  // fingerprint (instance tag, roll gate environment and triggers: the change rolls the masters).
  // Before, with the bundle embedded as base64 in summary.md/summary.json/resources.json: 632 KB.
  expect(Buffer.byteLength(diff)).toBeLessThan(10 * 1024);
  expect(diff.match(/^\+\s+"K8SHA_ROLL_NODE_SPEC": /gm)).toHaveLength(3);
  expect(diff).toContain("+# a one-line change a reviewer must see");
  expect(diff).toMatch(/^\+\+\+ b\/bundles\/dev-boot-master-object\/lib\/boot-mode\.sh/m);
  expect(diff).not.toMatch(/[A-Za-z0-9+/]{200,}/); // no base64 blobs
});

test("synth-diff.sh: file list, summary.md first, then the rest, in a diff fence", () => {
  const report = execFileSync("bash", [DIFF, path.join(tmp, "a"), path.join(tmp, "b"), "dev"], {
    encoding: "utf8",
  });
  expect(report).toMatch(/^### dev\n/);
  expect(report).toContain("- `bundles/dev-boot-master-object/lib/boot-mode.sh`");
  const summaryAt = report.indexOf("+++ head/summary.md");
  expect(summaryAt).toBeGreaterThan(0);
  expect(summaryAt).toBeLessThan(report.indexOf("+++ head/bundles/"));
  expect(report).toContain("+# a one-line change a reviewer must see");
  expect(report.trimEnd().endsWith("```")).toBe(true);
  expect(report).not.toMatch(/truncated/);
});

test("synth-diff.sh: what a PR comment shows of a one-line script change is under 6 KB", () => {
  const report = execFileSync("bash", [DIFF, path.join(tmp, "a"), path.join(tmp, "b"), "dev"], {
    encoding: "utf8",
  });
  // The three masters' node.env (and user-data) carry the same new bundle key: shown once, then
  // named. Everything else a reviewer needs stays: the script's own hunk above all.
  expect(report).toMatch(/@@ same change as in userdata\/dev-cp-0-lt\/files\/etc\/k8sha\/node\.env @@/);
  // 5.6 KB measured with the add-ons (their objects sit next to the bundles in summary.md's
  // object table, so the hunk's context lines name them) and provider-style bucket names.
  expect(report).toContain("+# a one-line change a reviewer must see");
  console.log(`synth-diff report of a one-line script change: ${Buffer.byteLength(report)} bytes`);
  expect(Buffer.byteLength(report)).toBeLessThan(6 * 1024);
});

test("synth-diff.sh cuts a long diff at the bound, closes the fence and says so", () => {
  const report = execFileSync("bash", [DIFF, path.join(tmp, "a"), path.join(tmp, "b"), "dev", "1000"], {
    encoding: "utf8",
  });
  const fence = report.slice(report.indexOf("```diff"), report.lastIndexOf("```") + 3);
  expect(Buffer.byteLength(fence)).toBeLessThan(1000 + 20);
  expect(report).toMatch(/_Diff truncated: showing the first 1000 of \d+ bytes\./);
});

test("synth-diff.sh: identical folders say so; bad usage exits 2", () => {
  const same = execFileSync("bash", [DIFF, path.join(tmp, "a"), path.join(tmp, "a"), "dev"], {
    encoding: "utf8",
  });
  expect(same).toContain("No change in the synth output.");
  expect(spawnSync("bash", [DIFF, path.join(tmp, "a")]).status).toBe(2);
});
