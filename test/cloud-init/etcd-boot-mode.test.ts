/**
 * `decide_boot_mode` (init | join | rejoin) with a temp dir as the etcd volume. The SSM
 * "initialised" marker is served by the fake AWS CLI (test/support/fakes/aws) and the API probe
 * by `CURL=/bin/true|/bin/false`, so the real `cluster_initialised` runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secretParameterNames } from "../../base/ssmPaths";
import { FAKES_DIR, runLib } from "../support/fakes/bashLib";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Scenario {
  masterIndex: number;
  /** Identity file content on the volume; with `memberData`, the volume holds a member. */
  identityCluster?: string;
  memberData?: boolean;
  /** SSM answer for /k8sha/prod/state/initialised (absent = ParameterNotFound). */
  marker?: boolean;
  ssmError?: string;
  apiReady?: boolean;
  script?: string;
  /** BOOT_INIT_WAIT_SECONDS (default 1: the timeout case). */
  waitSeconds?: number;
}

async function decide(s: Scenario) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-boot-mode-"));
  dirs.push(dir);
  const mount = join(dir, "volume");
  mkdirSync(join(mount, "data"), { recursive: true });
  if (s.memberData) mkdirSync(join(mount, "data", "member", "wal"), { recursive: true });
  if (s.identityCluster)
    writeFileSync(
      join(mount, "k8sha-identity"),
      `cluster=${s.identityCluster}\nmember_id=8e9e05c52164694d\n`,
    );
  writeFileSync(join(dir, "ssm"), s.marker ? "/k8sha/prod/state/initialised 2025-01-01T00:00:00Z\n" : "");
  if (s.ssmError) writeFileSync(join(dir, "ssm-error"), s.ssmError);
  return runLib(["etcd-member.sh", "boot-mode.sh"], s.script ?? "decide_boot_mode", [], {
    ETCD_MOUNT: mount,
    ETCD_DATA_DIR: join(mount, "data"),
    CLUSTER_NAME: "prod",
    MASTER_INDEX: String(s.masterIndex),
    INIT_MARKER: secretParameterNames("prod").initializedMarker,
    API_ENDPOINT: "api.invalid",
    AWS: join(FAKES_DIR, "aws"),
    AWS_REGION: "eu-west-1",
    FAKE_AWS_DIR: dir,
    CURL: s.apiReady ? "/bin/true" : "/bin/false",
    BOOT_INIT_WAIT_SECONDS: String(s.waitSeconds ?? 1),
  });
}

test("a volume holding this cluster's member rejoins, whatever the index or marker", async () => {
  const r = await decide({ masterIndex: 0, memberData: true, identityCluster: "prod", marker: false });
  expect(r.stdout).toBe("rejoin\n");
  expect(r.stderr).toContain("holds member 8e9e05c52164694d of prod");
});

test("a volume of another cluster is refused with a clear error", async () => {
  const r = await decide({ masterIndex: 1, memberData: true, identityCluster: "staging" });
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("belongs to cluster 'staging', not 'prod'");
});

test("member data without an identity file is refused, not guessed", async () => {
  const r = await decide({ masterIndex: 1, memberData: true });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("refusing to guess");
});

test("master 0 inits only while the cluster was never initialised", async () => {
  expect((await decide({ masterIndex: 0 })).stdout).toBe("init\n");
  expect((await decide({ masterIndex: 0, marker: true })).stdout).toBe("join\n");
  // Marker lost but an API server answers: the cluster exists, so a new master 0 joins it.
  expect((await decide({ masterIndex: 0, apiReady: true })).stdout).toBe("join\n");
  // An identity file alone (no member data: e.g. a wiped data dir) does not mean rejoin.
  expect((await decide({ masterIndex: 0, identityCluster: "prod", marker: true })).stdout).toBe("join\n");
});

test("an SSM error is never read as 'not initialised' (no second init)", async () => {
  const r = await decide({ masterIndex: 0, ssmError: "An error occurred (AccessDeniedException)" });
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("cannot read the initialised marker");
});

test("other masters join, waiting (bounded) for master 0 to initialise", async () => {
  expect((await decide({ masterIndex: 2, marker: true })).stdout).toBe("join\n");
  const timedOut = await decide({ masterIndex: 1 });
  expect(timedOut.code).not.toBe(0);
  expect(timedOut.stdout).toBe("");
  expect(timedOut.stderr).toContain("was not initialised within 1s");
  // The marker appears on the second look (cluster_initialised overridden, as the brief allows).
  const waited = await decide({
    masterIndex: 1,
    waitSeconds: 30, // date(1) has 1 s granularity: never let the deadline race the retry
    script:
      "n=0\ncluster_initialised() { n=$((n + 1)); ((n >= 2)); }\nBOOT_MARKER_POLL_SECONDS=0 K8SHA_RETRY_CAP=0 decide_boot_mode",
  });
  expect(waited.stdout).toBe("join\n");
  expect(waited.stderr).toContain("waiting for: cluster initialised by master 0");
});

test("while the API is down, a waiting master looks the marker up at most every BOOT_MARKER_POLL_SECONDS", async () => {
  const r = await decide({
    masterIndex: 1,
    waitSeconds: 3,
    script: [
      'log_file="$(mktemp)"',
      'cluster_initialised() { echo marker >>"$log_file"; return 1; }',
      '_api_ready() { echo api >>"$log_file"; return 1; }',
      // decide_boot_mode dies at the deadline: count in a subshell, report from outside it.
      "(BOOT_MARKER_POLL_SECONDS=30 K8SHA_RETRY_BASE=0 K8SHA_RETRY_CAP=0 decide_boot_mode) || true",
      'echo "marker=$(grep -c marker "$log_file") api=$(grep -c api "$log_file")"',
    ].join("\n"),
  });
  const [, marker, api] = /marker=(\d+) api=(\d+)/.exec(r.stdout) ?? [];
  expect(Number(marker)).toBe(1);
  expect(Number(api)).toBeGreaterThan(3);
});
