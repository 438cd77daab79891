/**
 * The boot bundle, extracted by real bash into temp dirs: every file byte-for-byte and with its
 * mode as in the repository, the right selection per role, stale files replaced, deterministic
 * bytes and hash (checked with the real sha256sum), shellcheck-clean as generated.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { bundleScript, parseBootBundle, renderBootBundle } from "../../cloud-init/bundle";
import { BOOT_SCRIPT_DIR } from "../../cloud-init/render-files";
import { BOOT_ROLES, type BootRole, roleManifest } from "../../cloud-init/roles";

const run = promisify(execFile);
const ROOT = join(__dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "k8sha-bundle-"));
const roles: BootRole[] = BOOT_ROLES;
const bundles = Object.fromEntries(roles.map((r) => [r, renderBootBundle(r)])) as Record<
  BootRole,
  ReturnType<typeof renderBootBundle>
>;

afterAll(() => rmSync(work, { recursive: true, force: true }));

function bundleFile(role: BootRole): string {
  const file = join(work, `${role}-bundle.sh`);
  writeFileSync(file, bundles[role].content);
  return file;
}

/** Every file below `dir` as relative path -> octal mode. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = (statSync(p).mode & 0o777).toString(8).padStart(4, "0");
    }
  };
  walk(dir);
  return out;
}

/** What the role's manifest says it must get: path on the node -> [repo source, mode]. */
function expected(role: BootRole): Record<string, [string, string]> {
  const manifest = roleManifest(role);
  const files: Record<string, [string, string]> = {};
  for (const lib of manifest.libraries) files[`lib/${lib}`] = [join(BOOT_SCRIPT_DIR, "lib", lib), "0644"];
  files["bin/boot-env.sh"] = [join(BOOT_SCRIPT_DIR, "boot-env.sh"), "0644"];
  files[`bin/${role}-boot.sh`] = [join(BOOT_SCRIPT_DIR, `${role}-boot.sh`), "0755"];
  for (const tool of manifest.operatorScripts)
    files[`bin/${tool.name}`] = [join(ROOT, "scripts", tool.source), "0755"];
  return files;
}

describe.each(roles)("%s boot bundle", (role) => {
  it("extracts with bash to exactly the role's files, byte-for-byte, with their modes", async () => {
    const dest = join(work, `${role}-dest`);
    await run("bash", [bundleFile(role), dest]);
    const want = expected(role);
    expect(tree(dest)).toEqual(Object.fromEntries(Object.entries(want).map(([p, [, mode]]) => [p, mode])));
    for (const [path, [source]] of Object.entries(want)) {
      expect(readFileSync(join(dest, path)).equals(readFileSync(source))).toBe(true);
    }
    // What policies/synth read without bash is what bash wrote.
    for (const entry of parseBootBundle(bundles[role].content)) {
      expect(entry.content.equals(readFileSync(join(dest, entry.path)))).toBe(true);
    }
  });

  it("replaces lib/ and bin/ on re-extraction, so a dropped library cannot be sourced", async () => {
    const dest = join(work, `${role}-stale`);
    mkdirSync(join(dest, "lib"), { recursive: true });
    writeFileSync(join(dest, "lib/removed-lib.sh"), "echo stale\n");
    writeFileSync(join(dest, "keep.txt"), "not the bundle's\n");
    await run("bash", [bundleFile(role), dest]);
    expect(Object.keys(tree(dest))).not.toContain("lib/removed-lib.sh");
    expect(Object.keys(tree(dest))).toContain("keep.txt");
  });

  it("is deterministic, and its sha256 is the hash sha256sum computes", async () => {
    const again = renderBootBundle(role);
    expect(again.content).toBe(bundles[role].content);
    expect(again.sha256).toBe(bundles[role].sha256);
    const { stdout } = await run("sha256sum", [bundleFile(role)]);
    expect(stdout.split(" ")[0]).toBe(bundles[role].sha256);
  });
});

it("roles get different bundles; workers get no etcd, CNI, restore or Node-cleanup scripts", () => {
  expect(bundles.master.sha256).not.toBe(bundles.worker.sha256);
  const workerPaths = parseBootBundle(bundles.worker.content).map((e) => e.path);
  expect(workerPaths.filter((p) => /etcd|cni|boot-mode|stale-nodes/.test(p))).toEqual([]);
});

it("generated bundles and the bootstrap are shellcheck-clean", async () => {
  const files = [...roles.map(bundleFile), join(BOOT_SCRIPT_DIR, "bootstrap.sh")];
  const result = await run("shellcheck", ["-S", "style", "-f", "gcc", ...files]).catch(
    (e: { stdout: string }) => e,
  );
  expect(result.stdout).toBe("");
});

it("refuses paths outside lib/ and bin/ and odd modes", () => {
  const content = Buffer.from("x\n");
  expect(() => bundleScript("t", [{ path: "../etc/passwd", mode: "0644", content }])).toThrow(/path/);
  expect(() => bundleScript("t", [{ path: "lib/a.sh", mode: "4755", content }])).toThrow(/mode/);
});
