/**
 * scripts/k8sha-validate.sh on its own (the whole-cluster simulation, test/node/cluster-boot,
 * runs it against a live cluster): the target it reads is refused unless every key is known and
 * every value is a plain name, ARN or number (the text comes from a stack output or SSM and
 * nothing in it may be run); a stack's target comes from `pulumi stack output`; with AWS
 * unreachable every AWS check is a red line, the run ends in bounded time with `result: fail`.
 * The AWS CLI and pulumi are stubs here (no account, no CLI): each fails the way the real one does.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validationTargetText } from "../../components/validationTarget";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

const SCRIPT = join(PROJECT_ROOT, "scripts/k8sha-validate.sh");
const dir = mkdtempSync(join(tmpdir(), "k8sha-validate-"));

/** An AWS CLI that cannot reach AWS: every call fails as the CLI does without a network. */
const unreachableAws = join(dir, "aws");
writeFileSync(
  unreachableAws,
  `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >>"${dir}/aws-calls"\necho 'Could not connect to the endpoint URL: "https://autoscaling.eu-west-1.amazonaws.com/"' >&2\nexit 255\n`,
  { mode: 0o755 },
);

const TARGET = validationTargetText({
  CLUSTER: "dev",
  REGION: "eu-west-1",
  MASTERS: "3",
  MASTER_ASGS: "dev-master-0,dev-master-1,dev-master-2",
  TARGET_GROUP_ARN:
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dev-api/0123456789abcdef",
  BACKUP_BUCKET: "dev-cluster-bucket",
  BACKUP_PREFIX: "dev/etcd-backups/",
  BACKUP_MAX_AGE_MINUTES: "120",
  ALARM_PREFIX: "k8sha/dev/",
  POOL_LABEL: "k8sha.io/pool",
  POOLS: "general=1",
  POOL_ASGS: "dev-general",
  ETCD_ASGS: "",
});

function validate(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("bash", [SCRIPT, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      K8SHA_AWS: unreachableAws,
      CLUSTER_AWS_ATTEMPTS: "1",
      ...env,
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function targetFile(text: string): string {
  const file = join(dir, `target-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  return file;
}

test("no argument, an unknown option or an unreadable target: a usage error (exit 2)", () => {
  for (const args of [[], ["--bogus"], ["--target", join(dir, "missing")]]) {
    const r = validate(args);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining("FAIL usage:")]);
  }
});

test.each([
  ["an unknown key", `${TARGET}SHELL_HOOK=x\n`, "unknown key 'SHELL_HOOK'"],
  [
    "a command substitution",
    TARGET.replace("CLUSTER=dev", "CLUSTER=$(touch pwned)"),
    "unexpected characters in CLUSTER",
  ],
  ["a missing key", TARGET.replace(/^TARGET_GROUP_ARN=.*\n/m, ""), "has no TARGET_GROUP_ARN"],
  ["a count that is not a number", TARGET.replace("MASTERS=3", "MASTERS=three"), "must be whole numbers"],
])("a target with %s is refused before any AWS call", (_what, text, why) => {
  const before = existsSync(join(dir, "aws-calls")) ? readFileSync(join(dir, "aws-calls"), "utf8") : "";
  const r = validate(["--target", targetFile(text)], { HOME: dir });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("FAIL target: stopped (exit 1); the log on stderr says why\nresult: fail\n");
  expect(r.stderr).toContain(why);
  expect(existsSync(join(dir, "pwned")) || existsSync("pwned")).toBe(false);
  const after = existsSync(join(dir, "aws-calls")) ? readFileSync(join(dir, "aws-calls"), "utf8") : "";
  expect(after).toBe(before);
});

test("AWS unreachable: every check that needs it is red, and the run ends with result: fail", () => {
  const t0 = Date.now();
  const r = validate(["--target", targetFile(TARGET)]);
  expect(r.code).toBe(1);
  const failed = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("FAIL "))
    .map((l) => l.slice(5, l.indexOf(":")));
  expect(failed).toEqual([
    "asg/dev-master-0",
    "asg/dev-master-1",
    "asg/dev-master-2",
    "boot-status",
    "cluster",
    "targets",
    "backup",
    "alarms",
  ]);
  expect(r.stdout.trimEnd().split("\n").pop()).toBe("result: fail");
  expect(r.stdout).not.toMatch(/^ok /m);
  // One attempt per call (CLUSTER_AWS_ATTEMPTS=1): bounded, not a retry storm.
  expect(Date.now() - t0).toBeLessThan(50_000);
});

test("external etcd: every etcd node's ASG is checked beside the masters'", () => {
  const external = TARGET.replace("ETCD_ASGS=\n", "ETCD_ASGS=dev-etcd-0,dev-etcd-1,dev-etcd-2\n");
  expect(external).not.toBe(TARGET);
  const r = validate(["--target", targetFile(external)]);
  const failed = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("FAIL asg/"))
    .map((l) => l.slice(5, l.indexOf(":")));
  expect(failed).toEqual([
    "asg/dev-master-0",
    "asg/dev-master-1",
    "asg/dev-master-2",
    "asg/dev-etcd-0",
    "asg/dev-etcd-1",
    "asg/dev-etcd-2",
  ]);
});

test("a stack's target comes from `pulumi stack output validationTarget --stack <stack>`", () => {
  const pulumi = join(dir, "pulumi");
  writeFileSync(
    pulumi,
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >"${dir}/pulumi-args"\ncat "${targetFile(TARGET)}"\n`,
    {
      mode: 0o755,
    },
  );
  const r = validate(["dev"], { K8SHA_PULUMI: pulumi });
  expect(readFileSync(join(dir, "pulumi-args"), "utf8")).toBe("stack output validationTarget --stack dev\n");
  expect(r.stderr).toContain("validating cluster dev in eu-west-1");
  expect(r.code).toBe(1); // AWS is unreachable here
  const missing = join(dir, "no-pulumi");
  const none = validate(["dev"], { K8SHA_PULUMI: missing });
  expect(none.code).toBe(1);
  expect(none.stderr).toContain("cannot read the validationTarget output of stack dev");
});
