/** shellcheck (-x, severity style) on every shell script under cloud-init/ and scripts/, discovered. */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "../..");

function shellScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return shellScripts(path);
    return entry.name.endsWith(".sh") ? [path] : [];
  });
}

describe("shellcheck", () => {
  const scripts = [...shellScripts(join(ROOT, "cloud-init")), ...shellScripts(join(ROOT, "scripts"))];

  it("finds the boot scripts", () => {
    const names = scripts.map((s) => relative(ROOT, s));
    expect(names).toEqual(expect.arrayContaining(["cloud-init/master-boot.sh", "cloud-init/lib/common.sh"]));
  });

  it("reports nothing at severity style on any of them", async () => {
    // Two halves in parallel: shellcheck is single-threaded and the suite runs on 2 cores.
    const half = Math.ceil(scripts.length / 2);
    const batches = [scripts.slice(0, half), scripts.slice(half)].filter((b) => b.length > 0);
    const findings = (await Promise.all(batches.map(shellcheck))).flat();
    // gcc format: "file:line:col: severity: message [SCcode]", naming file and code.
    expect(findings).toEqual([]);
  });
});

function shellcheck(files: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile("shellcheck", ["-x", "-S", "style", "-f", "gcc", ...files], { cwd: ROOT }, (error, stdout) => {
      const lines = stdout.split("\n").filter(Boolean);
      if (error && lines.length === 0) reject(error);
      else resolve(lines);
    });
  });
}
