/**
 * A failed boot's report (lib/report.sh `on_boot_exit`), through the REAL trap: bash with
 * `set -euo pipefail`, common.sh, imds.sh and report.sh sourced, steps run with run_step, the
 * failure an ordinary failing command. A recording `aws` serves what cannot exist offline
 * (ec2 create-tags, cloudwatch put-metric-data: recorded, answered 0) and hands every s3 call to
 * the REAL AWS CLI against s3rver, so the log tail is really uploaded and read back.
 *
 * What it proves: exactly one PutMetricData per failed attempt, in the project's namespace, with
 * the cluster and role dimensions and no instance id; the log tail lands at
 * `<cluster>/boot-logs/<role>/<instance-id>.log` as SSE-S3, secrets redacted, its last line the
 * failing step's; a retried failure overwrites it; the boot's exit code is kept; with AWS failing
 * or hanging, the trap still ends in bounded time with that code; a successful boot publishes
 * nothing; on a node, the tail is this attempt's journal (systemd's INVOCATION_ID).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HEALTH_METRICS, METRICS_NAMESPACE } from "../../base/healthMetrics";
import { TAG_BOOT_STATUS } from "../../base/tags";
import { nodeFacts } from "../../cloud-init/render-env";
import { run } from "../support/etcdCluster";
import { AWS_CLI, S3TestServer } from "../support/s3";

const LIB = resolve(__dirname, "../../cloud-init/lib");
const BUCKET = "k8sha-test-boot-logs";
const INSTANCE = "i-0abc1234def567890";
const TOKEN = "abcdef.0123456789abcdef";
const CERT_KEY = "f".repeat(64);

/** Records argv (one line per call); FAKE_AWS_MODE=fail exits 255, =hang never answers. */
const FAKE_AWS = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/calls"
case "\${FAKE_AWS_MODE:-ok}" in
  fail) echo "Could not connect to the endpoint URL" >&2; exit 255 ;;
  hang) exec sleep 60 ;;
esac
args=("$@")
[[ "\${args[0]}" == --endpoint-url ]] && args=("\${args[@]:2}")
case "\${args[0]} \${args[1]:-}" in
  "ec2 create-tags" | "cloudwatch put-metric-data") exit 0 ;;
  "s3 "* | "s3api "*) exec "$REAL_AWS" "$@" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
`;

let s3: S3TestServer;
let work: string;

beforeAll(async () => {
  s3 = await S3TestServer.start(BUCKET);
  work = mkdtempSync(join(tmpdir(), "k8sha-boot-report-"));
}, 30_000);
afterAll(async () => {
  await s3.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Case {
  dir: string;
  /** The case's own cluster name, so the cases share s3rver's bucket without sharing keys. */
  cluster: string;
  env: Record<string, string>;
}

function setup(name: string, role: "master" | "worker", extra: Record<string, string> = {}): Case {
  const dir = join(work, name);
  const cluster = `demo-${name}`;
  mkdirSync(join(dir, "state"), { recursive: true });
  writeFileSync(join(dir, "aws"), FAKE_AWS);
  chmodSync(join(dir, "aws"), 0o755);
  const env: Record<string, string> = {
    ...s3.awsEnv(),
    ...nodeFacts(role),
    K8SHA_ROLE: role,
    CLUSTER_NAME: cluster,
    BOOT_LOG_BUCKET: BUCKET,
    BOOT_LOG_PREFIX: `${cluster}/boot-logs/${role}/`,
    INSTANCE_ID: INSTANCE,
    AWS: join(dir, "aws"),
    REAL_AWS: AWS_CLI,
    FAKE_DIR: dir,
    K8SHA_STATE_DIR: join(dir, "state"),
    K8SHA_BOOT_LOG_FILE: join(dir, "boot.log"),
    K8SHA_RETRY_MAX: "3",
    K8SHA_RETRY_BASE: "1",
    K8SHA_RETRY_CAP: "1",
    ...extra,
  };
  return { dir, cluster, env };
}

/**
 * An entry script: the trap, stderr into the log file (what the journal is on a node), a step
 * that succeeds, then `failing` as the body of step `step`.
 */
function boot(c: Case, step: string, failing: string, env: Record<string, string> = {}) {
  const script = [
    "set -euo pipefail",
    `. ${LIB}/common.sh; . ${LIB}/imds.sh; . ${LIB}/report.sh`,
    'exec 2>>"$K8SHA_BOOT_LOG_FILE"',
    "install_boot_report_trap",
    "prepare() { log 'preparing the node'; }",
    `failing() { ${failing}; }`,
    "run_step prereqs prepare",
    `run_step ${step} failing`,
    "report_success",
  ].join("\n");
  return run("bash", ["-c", script], { ...c.env, ...env });
}

const calls = (c: Case): string[] => {
  try {
    return readFileSync(join(c.dir, "calls"), "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
};
const strip = (call: string) => call.replace(/^--endpoint-url \S+ /, "");
const metricCalls = (c: Case) =>
  calls(c)
    .map(strip)
    .filter((l) => l.startsWith("cloudwatch put-metric-data"));
const logKey = (c: Case, role: string) => `${c.cluster}/boot-logs/${role}/${INSTANCE}.log`;

describe.each(["worker", "master"] as const)("a failed %s boot", (role) => {
  let c: Case;
  let code: number | null;

  beforeAll(async () => {
    c = setup(`fail-${role}`, role);
    const failing = [
      "log 'fetching the join values'",
      `log 'kubeadm said: token ${TOKEN} --certificate-key ${CERT_KEY}'`,
      "printf '%s\\n' '-----BEGIN RSA PRIVATE KEY-----' 'MIIEsecretsecret' '-----END RSA PRIVATE KEY-----' >&2",
      "log 'cannot read the bootstrap token from SSM'",
      "return 3",
    ].join("; ");
    ({ code } = await boot(c, "join-secrets", failing));
  }, 60_000);

  test("keeps the boot's exit code and leaves the marker and the tag", () => {
    expect(code).toBe(3);
    expect(readFileSync(join(c.env.K8SHA_STATE_DIR, "boot-failed"), "utf8")).toMatch(
      /^step=join-secrets exit=3 /,
    );
    expect(calls(c).map(strip)).toContain(
      `ec2 create-tags --resources ${INSTANCE} --tags Key=${TAG_BOOT_STATUS},Value=failed:join-secrets`,
    );
  });

  test("publishes exactly one BootFailed=1 in the namespace, dimensions cluster + role only", () => {
    expect(metricCalls(c)).toEqual([
      `cloudwatch put-metric-data --namespace ${METRICS_NAMESPACE} --metric-name ${HEALTH_METRICS.bootFailed} ` +
        `--value 1 --unit Count --dimensions ClusterName=${c.cluster},Role=${role}`,
    ]);
    expect(metricCalls(c)[0]).not.toContain(INSTANCE);
  });

  test("uploads the redacted log tail as SSE-S3 to <cluster>/boot-logs/<role>/<instance-id>.log", async () => {
    expect(await s3.listKeys(`${c.cluster}/boot-logs/`)).toEqual([logKey(c, role)]);
    const s3Calls = calls(c)
      .map(strip)
      .filter((l) => l.startsWith("s3 "));
    expect(s3Calls).toHaveLength(1);
    expect(s3Calls[0]).toContain("--sse AES256");
    const text = (await s3.getObject(logKey(c, role))).toString("utf8");
    const lines = text.trimEnd().split("\n");
    expect(lines.some((l) => l.includes("k8sha[prereqs]: preparing the node"))).toBe(true);
    expect(text).toContain("k8sha[join-secrets]: cannot read the bootstrap token from SSM");
    expect(text).toContain("BOOT FAILED in step 'join-secrets' (exit 3)");
    // The last line is the failing step's own (the report's lines carry the failed step too).
    expect(lines.at(-1)).toMatch(/ k8sha\[join-secrets\]: /);
    // Secrets: none of them survives; the redaction marks where they were.
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(CERT_KEY);
    expect(text).not.toContain("MIIEsecretsecret");
    expect(text).toContain("token [redacted-token] --certificate-key [redacted]");
    expect(text).toContain("[redacted private key]");
    // The same tail stays on the node.
    expect(readFileSync(join(c.env.K8SHA_STATE_DIR, "boot-failed.log"), "utf8")).toBe(text);
  });

  test("a retried boot that fails again overwrites the same object", async () => {
    const before = calls(c).length;
    const r = await boot(c, "kubeadm-join", "log 'the API is not ready'; return 4");
    expect(r.code).toBe(4);
    expect(await s3.listKeys(`${c.cluster}/boot-logs/`)).toEqual([logKey(c, role)]);
    const text = (await s3.getObject(logKey(c, role))).toString("utf8");
    expect(text.trimEnd().split("\n").at(-1)).toMatch(/ k8sha\[kubeadm-join\]: /);
    expect(text).toContain("BOOT FAILED in step 'kubeadm-join' (exit 4)");
    // The prereqs step was skipped through its marker, as on a real retry.
    expect(text).toContain("k8sha[prereqs]: already done on an earlier boot; skipping");
    // One more metric for the second attempt, no more.
    expect(
      calls(c)
        .slice(before)
        .map(strip)
        .filter((l) => l.startsWith("cloudwatch ")),
    ).toHaveLength(1);
  }, 60_000);
});

test("a successful boot publishes no metric and uploads nothing", async () => {
  const c = setup("success", "worker");
  const script = [
    "set -euo pipefail",
    `. ${LIB}/common.sh; . ${LIB}/imds.sh; . ${LIB}/report.sh`,
    'exec 2>>"$K8SHA_BOOT_LOG_FILE"',
    "install_boot_report_trap",
    "run_step prereqs true",
    "report_success",
  ].join("\n");
  const r = await run("bash", ["-c", script], c.env);
  expect(r.code).toBe(0);
  expect(calls(c).map(strip)).toEqual([
    `ec2 create-tags --resources ${INSTANCE} --tags Key=${TAG_BOOT_STATUS},Value=succeeded`,
  ]);
  expect(await s3.listKeys(`${c.cluster}/boot-logs/worker/`)).toEqual([]);
});

test.each([
  ["failing", "fail", {}],
  ["hanging", "hang", { K8SHA_REPORT_TIMEOUT: "1", K8SHA_REPORT_RETRIES: "2" }],
])(
  "with every AWS call %s, the trap ends in bounded time with the boot's code",
  async (_n, mode, knobs) => {
    const c = setup(`aws-${mode}`, "worker", { FAKE_AWS_MODE: mode, ...knobs });
    const started = Date.now();
    const r = await boot(c, "join-secrets", "return 5");
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(5);
    expect(readFileSync(join(c.env.K8SHA_STATE_DIR, "boot-failed"), "utf8")).toMatch(
      /^step=join-secrets exit=5 /,
    );
    // Tag, metric and upload each tried, none of them more than its retries.
    const tries = Number(c.env.K8SHA_REPORT_RETRIES ?? "3");
    const ops = calls(c).map((l) => strip(l).split(" ").slice(0, 2).join(" "));
    expect(ops).toEqual([
      ...Array(tries).fill("ec2 create-tags"),
      ...Array(tries).fill("cloudwatch put-metric-data"),
      ...Array(tries).fill("s3 cp"),
    ]);
    // 3 calls x 3 tries x 1 s back-off (fail), or 3 x 2 x (1 s timeout + 1 s back-off) (hang).
    expect(seconds).toBeLessThan(20);
    const log = readFileSync(c.env.K8SHA_BOOT_LOG_FILE, "utf8");
    expect(log).toContain("could not publish");
    expect(log).toContain("could not upload the boot log");
    expect(await s3.listKeys(`${c.cluster}/boot-logs/`)).toEqual([]);
  },
  60_000,
);

test("on a node the tail is this attempt's journal: journalctl --sync, then INVOCATION_ID", async () => {
  const c = setup("journal", "master");
  const journalctl = join(c.dir, "journalctl");
  writeFileSync(
    journalctl,
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >>"$FAKE_DIR/journalctl.calls"\n[[ "$1" == --sync ]] && exit 0\nprintf 'journal line %s\\n' 1 2 "secret ${TOKEN}"\n`,
  );
  chmodSync(journalctl, 0o755);
  const { K8SHA_BOOT_LOG_FILE: _file, ...env } = c.env;
  const r = await run(
    "bash",
    [
      "-c",
      `set -euo pipefail; . ${LIB}/common.sh; . ${LIB}/imds.sh; . ${LIB}/report.sh; report_boot_log 2>/dev/null`,
    ],
    {
      ...env,
      K8SHA_BOOT_LOG_FILE: "",
      K8SHA_JOURNALCTL: journalctl,
      INVOCATION_ID: "0123abcd",
      K8SHA_BOOT_LOG_LINES: "50",
    },
  );
  expect(r.code).toBe(0);
  expect(readFileSync(join(c.dir, "journalctl.calls"), "utf8").split("\n").filter(Boolean)).toEqual([
    "--sync",
    "--no-pager -o cat -n 50 _SYSTEMD_INVOCATION_ID=0123abcd",
  ]);
  expect((await s3.getObject(logKey(c, "master"))).toString("utf8")).toBe(
    "journal line 1\njournal line 2\njournal line secret [redacted-token]\n",
  );
});
