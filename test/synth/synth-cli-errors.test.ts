/**
 * The synth CLI's answers to a wrong input: a config error is one clean block (the problem
 * lines, no stack trace) with exit 1, a missing stack file is named, and a stack file from
 * another path is synthesized with --stack-file.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs, runCli } from "../../synth/cli";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-cli-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, (l) => lines.push(l));
  return { code, out: lines.join("\n") };
}

test("--stack-file: the stack name comes from the file name unless given", () => {
  expect(parseArgs(["--stack-file", "/x/Pulumi.staging.yaml"])).toMatchObject({
    stack: "staging",
    stackFile: "/x/Pulumi.staging.yaml",
  });
  expect(parseArgs(["qa", "--stack-file", "/x/other.yaml"]).stack).toBe("qa");
  expect(() => parseArgs(["--stack-file", "/x/other.yaml"])).toThrow(/stack name/);
  expect(() => parseArgs(["dev", "--stack-file"])).toThrow(/--stack-file needs a file/);
});

test("a missing stack file is named, exit 1", async () => {
  const missing = await run(["nosuchstack"]);
  expect(missing.code).toBe(1);
  expect(missing.out).toBe(
    `synth nosuchstack: no stack file ${path.join(PROJECT_ROOT, "Pulumi.nosuchstack.yaml")} (give one with --stack-file <path>)`,
  );
  const other = await run(["--stack-file", path.join(tmp, "Pulumi.gone.yaml")]);
  expect(other.code).toBe(1);
  expect(other.out).toMatch(/no stack file .*Pulumi\.gone\.yaml/);
});

test("a config error is one block naming the key, without a stack trace, exit 1", async () => {
  const file = path.join(tmp, "Pulumi.typo.yaml");
  fs.writeFileSync(
    file,
    "config:\n  aws:region: eu-west-1\n  k8s-ha:clusterName: typo\n  k8s-ha:masters:\n    instanceType: t3.meduim\n  k8sha:tags: {}\n",
  );
  const { code, out } = await run(["--stack-file", file, "--out", path.join(tmp, "out")]);
  expect(code).toBe(1);
  expect(out.split("\n")).toEqual([
    `synth typo: ${file}`,
    "Invalid stack configuration (2 problem(s)):",
    expect.stringMatching(/^ {2}- k8sha:tags: "\{\}" is invalid: namespace "k8sha" looks like a typo/),
    expect.stringMatching(
      /^ {2}- k8s-ha:masters\.instanceType: "t3\.meduim" is invalid: did you mean t3\.medium\?/,
    ),
  ]);
  expect(out).not.toMatch(/\bat .*\.ts:\d+/);
  expect(fs.existsSync(path.join(tmp, "out"))).toBe(false);
});

test("a stack file from another path is synthesized", async () => {
  const file = path.join(tmp, "Pulumi.copy.yaml");
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), file);
  const out = path.join(tmp, "copy");
  const result = await run(["--stack-file", file, "--out", out]);
  expect(result.out).toMatch(/^synth copy: \d+ resources/);
  expect(result.code).toBe(0);
  expect(fs.existsSync(path.join(out, "summary.md"))).toBe(true);
});
