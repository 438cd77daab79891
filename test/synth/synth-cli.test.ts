/**
 * The offline synth folder for the real dev stack: layout, decoded user-data matching an
 * independent decode of the launch templates, no secret material anywhere, stable output.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parse as parseYaml } from "yaml";
import { findSecrets } from "../../policy/rules/noSecretsInUserData";
import { parseArgs, runCli } from "../../synth/cli";
import { ofType, readStackConfig, type SynthResult, synthesize } from "../../synth/mockRuntime";
import type { SynthSummary } from "../../synth/summary";
import { writeSynthFolder } from "../../synth/write";

let result: SynthResult;
let dir: string;

function readTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), fs.readFileSync(p, "utf8"));
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  result = await synthesize("dev");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-dev-"));
  writeSynthFolder(result, dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("CLI arguments: one stack, optional --out, default .synth/<stack>", async () => {
  expect(parseArgs(["prod"]).outDir).toMatch(/\.synth[/\\]prod$/);
  expect(parseArgs(["dev", "--out", "/tmp/x"]).outDir).toBe("/tmp/x");
  expect(() => parseArgs([])).toThrow(/stack name/);
  expect(() => parseArgs(["dev", "--bogus"])).toThrow(/unknown option/);
  const lines: string[] = [];
  expect(await runCli(["dev", "prod"], (l) => lines.push(l))).toBe(1);
  expect(lines.join("\n")).toMatch(/usage: npm run synth/);
});

test("summary shows one master per configured zone and the configured master count", () => {
  const summary = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as SynthSummary;
  const config = readStackConfig("dev");
  const zones = JSON.parse(config["k8s-ha:availabilityZones"]) as string[];
  const count = (JSON.parse(config["k8s-ha:masters"]) as { count: number }).count;
  expect(Object.keys(summary.mastersPerZone).sort()).toEqual(zones.slice(0, count).sort());
  for (const names of Object.values(summary.mastersPerZone)) expect(names).toHaveLength(1);
  expect(summary.etcdVolumes).toHaveLength(count);
  expect(summary.policyViolations).toEqual([]);
  expect(fs.readFileSync(path.join(dir, "summary.md"), "utf8")).toContain("## Masters per availability zone");
});

test("every write_files entry of every launch template is written decoded", () => {
  const tree = readTree(dir);
  const templates = ofType(result, "aws:ec2/launchTemplate:LaunchTemplate").filter(
    (r) => typeof r.inputs.userData === "string",
  );
  expect(templates.length).toBeGreaterThan(0);
  let checked = 0;
  for (const lt of templates) {
    const bytes = Buffer.from(String(lt.inputs.userData), "base64");
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    const doc = parseYaml((gzipped ? zlib.gunzipSync(bytes) : bytes).toString("utf8")) as {
      write_files?: { path: string; content: string; encoding?: string }[];
    };
    for (const f of doc.write_files ?? []) {
      const raw = Buffer.from(f.content, f.encoding?.includes("b64") ? "base64" : "utf8");
      const expected = (f.encoding?.startsWith("gz") ? zlib.gunzipSync(raw) : raw).toString("utf8");
      expect(tree.get(path.join("userdata", lt.name, "files", f.path))).toBe(expected);
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(templates.length);
});

test("boot bundles are shown as the files bash really extracts from them", () => {
  const bundles = result.resources.filter(
    (r) =>
      r.type.startsWith("aws:s3/bucketObject") && String(r.inputs.content).includes("# k8sha boot bundle"),
  );
  expect(bundles.length).toBeGreaterThan(0);
  for (const b of bundles) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
    fs.writeFileSync(path.join(work, "bundle.sh"), String(b.inputs.content));
    execFileSync("bash", [path.join(work, "bundle.sh"), path.join(work, "out")]);
    const extracted = readTree(path.join(work, "out"));
    const shown = readTree(path.join(dir, "bundles", b.name));
    shown.delete("bundle.json");
    expect(extracted.size).toBeGreaterThan(0);
    expect(shown).toEqual(extracted);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test("no private key, token or SecureString value reaches the folder", () => {
  const keyBodies = result.resources
    .map((r) => r.state.privateKeyPem)
    .filter((k): k is string => typeof k === "string")
    .map((pem) => pem.split("\n")[1]);
  const secureValues = ofType(result, "aws:ssm/parameter:Parameter")
    .filter((p) => p.inputs.type === "SecureString" && typeof p.inputs.value === "string")
    .map((p) => String(p.inputs.value));
  expect(keyBodies.length + secureValues.length).toBeGreaterThan(0);
  for (const [file, content] of readTree(dir)) {
    expect({ file, found: findSecrets(content) }).toEqual({ file, found: [] });
    for (const secret of [...keyBodies, ...secureValues]) expect(content.includes(secret)).toBe(false);
  }
});

test("output is stable: the same graph writes byte-identical folders, resources in URN order", () => {
  const again = fs.mkdtempSync(path.join(os.tmpdir(), "synth-dev-again-"));
  writeSynthFolder(JSON.parse(JSON.stringify(result)) as SynthResult, again);
  expect(readTree(again)).toEqual(readTree(dir));
  fs.rmSync(again, { recursive: true, force: true });
  const listed = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as { name: string }[];
  expect(listed).toHaveLength(result.resources.length);
});
