/**
 * etcd backups, for real: three etcd 3.4 members with TLS on loopback, the project's
 * `etcd_backup_once` run on each member through bash, the real AWS CLI uploading to s3rver.
 * Stubbed: CloudWatch only (K8SHA_METRICS_AWS is a script that records its arguments), because
 * s3rver does not speak CloudWatch.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { ETCDCTL_BIN, type EtcdMemberSpec, EtcdTestCluster, run } from "../support/etcdCluster";
import { AWS_CLI, S3TestServer } from "../support/s3";

const LIB = resolve(__dirname, "../../cloud-init/lib");
const PREFIX = "dev/etcd/";
const MEMBERS: EtcdMemberSpec[] = [
  { name: "master-a", ip: "127.0.5.1" },
  { name: "master-b", ip: "127.0.5.2" },
  { name: "master-c", ip: "127.0.5.3" },
];
/** 2024-05-01T10:05:00Z: the first run of a new hour and a new day. */
const T0 = Date.UTC(2024, 4, 1, 10, 5) / 1000;

let cluster: EtcdTestCluster;
let s3: S3TestServer;
let work: string;
let leader: EtcdMemberSpec;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "k8sha-backup-"));
  [cluster, s3] = await Promise.all([
    EtcdTestCluster.create({ clientPort: 24479, peerPort: 24480, heartbeatMs: 100, electionMs: 1000 }),
    S3TestServer.start("k8sha-test-backups"),
  ]);
  writeExecutable("fake-aws-metrics", `#!/bin/bash\nprintf '%s\\n' "$*" >>"${work}/metrics.log"\n`);
  await cluster.startNew(MEMBERS);
  await cluster.putMany(cluster.clientUrl(MEMBERS[0].ip), "/registry/test/", 300);
  leader = await findLeader();
}, 30000);

afterAll(async () => {
  await cluster?.cleanup();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function writeExecutable(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  chmodSync(path, 0o755);
  return path;
}

/** The leader, asked independently of the code under test (member id == leader id). */
async function findLeader(): Promise<EtcdMemberSpec> {
  for (const m of MEMBERS) {
    const status = await cluster.etcdctlOk(["endpoint", "status", "-w", "json"], [cluster.clientUrl(m.ip)]);
    const member = /"member_id":(\d+)/.exec(status)?.[1];
    const lead = /"leader":(\d+)/.exec(status)?.[1];
    if (member && member === lead) return m;
  }
  throw new Error("no leader");
}

function backup(member: EtcdMemberSpec, now: number, extraEnv: Record<string, string> = {}) {
  return run(
    "bash",
    ["-c", `set -euo pipefail; . ${LIB}/common.sh; . ${LIB}/etcd-backup.sh; etcd_backup_once`],
    {
      ...cluster.tlsEnv(),
      ...s3.awsEnv(),
      K8SHA_BACKUP_BUCKET: s3.bucket,
      K8SHA_BACKUP_PREFIX: PREFIX,
      K8SHA_BACKUP_CLUSTER: "dev",
      K8SHA_ETCD_ENDPOINT: cluster.clientUrl(member.ip),
      K8SHA_ETCD_MEMBER: member.name,
      K8SHA_ETCDCTL: ETCDCTL_BIN,
      K8SHA_ETCDUTL: "/nonexistent/etcdutl",
      K8SHA_METRICS_AWS: join(work, "fake-aws-metrics"),
      K8SHA_METRICS_NAMESPACE: METRICS_NAMESPACE,
      K8SHA_BACKUP_WORK_DIR: join(work, `scratch-${member.name}`),
      K8SHA_STATE_DIR: join(work, "state"),
      K8SHA_RETRY_MAX: "2",
      K8SHA_RETRY_BASE: "1",
      K8SHA_ETCD_COMMAND_TIMEOUT: "10s",
      K8SHA_BACKUP_NOW: String(now),
      ...extraEnv,
    },
  );
}

function metrics(): string[] {
  try {
    return readFileSync(join(work, "metrics.log"), "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** Each backup is several real AWS CLI runs (~1 s of CPU each); a loaded 2-core machine needs room. */
const BACKUP_TEST_TIMEOUT_MS = 180000;

test(
  "every member runs the backup; only the leader uploads, with hourly/daily copies by rule",
  async () => {
    const status = await cluster.etcdctlOk(
      ["endpoint", "status", "-w", "json"],
      [cluster.clientUrl(leader.ip)],
    );
    const revision = /"revision":(\d+)/.exec(status)?.[1];
    const results = await Promise.all(MEMBERS.map((m) => backup(m, T0)));
    for (const r of results)
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const followers = MEMBERS.filter((m) => m !== leader).map(
      (m) => results[MEMBERS.indexOf(m)]?.stderr ?? "",
    );
    for (const log of followers) expect(log).toContain("not the etcd leader");

    const name = `20240501T100500Z-${leader.name}.db.gz`;
    expect(await s3.listKeys()).toEqual([
      `${PREFIX}all/${name}`,
      `${PREFIX}daily/${name}`,
      `${PREFIX}hourly/${name}`,
    ]);
    const meta = await s3.metadata(`${PREFIX}all/${name}`);
    expect(meta).toMatchObject({ member: leader.name, "etcd-version": "3.4.23" });
    expect(meta.revision).toBe(revision);
    expect(metrics().filter((line) => line.includes("EtcdBackupSucceeded"))).toHaveLength(1);
    expect(metrics().join("\n")).toContain("--dimensions ClusterName=dev");

    // Later the same hour: all/ only. The next hour, same day: all/ and hourly/, no daily/.
    const [sameHour, nextHour] = await Promise.all([
      backup(leader, T0 + 15 * 60),
      backup(leader, T0 + 65 * 60),
    ]);
    expect([sameHour.code, nextHour.code]).toEqual([0, 0]);
    const keys = await s3.listKeys();
    expect(keys.filter((k) => k.startsWith(`${PREFIX}all/`))).toHaveLength(3);
    expect(keys.filter((k) => k.startsWith(`${PREFIX}hourly/`))).toEqual([
      `${PREFIX}hourly/${name}`,
      `${PREFIX}hourly/20240501T111000Z-${leader.name}.db.gz`,
    ]);
    expect(keys.filter((k) => k.startsWith(`${PREFIX}daily/`))).toEqual([`${PREFIX}daily/${name}`]);
  },
  BACKUP_TEST_TIMEOUT_MS,
);

test(
  "a damaged snapshot is refused by the real verification and nothing is uploaded",
  async () => {
    leader = await findLeader();
    const before = await s3.listKeys();
    const failuresBefore = metrics().filter((l) => l.includes("EtcdBackupFailed")).length;
    // Wrapper: real etcdctl, but the file `snapshot save` wrote is cut before `snapshot status` runs.
    const cutter = (keep: string) =>
      writeExecutable(
        `etcdctl-cut-${keep.replace(/\W/g, "")}`,
        `#!/bin/bash\n${ETCDCTL_BIN} "$@" || exit\nif [[ "$*" == *"snapshot save"* ]]; then\n` +
          `  f="\${*: -1}"; s="$(stat -c %s "$f")"; truncate -s "$((${keep}))" "$f"\nfi\n`,
      );
    // Half the file: bolt's page walk in `etcdctl snapshot status` fails.
    const half = await backup(leader, T0 + 3 * 3600, { K8SHA_ETCDCTL: cutter("s / 2") });
    expect(half.code).not.toBe(0);
    expect(half.stderr).toMatch(/snapshot status refused .*; nothing uploaded/);
    // Only the trailing SHA-256 missing: status still passes, the hash check refuses.
    const tail = await backup(leader, T0 + 3 * 3600, { K8SHA_ETCDCTL: cutter("s - 32") });
    expect(tail.code).not.toBe(0);
    expect(tail.stderr).toMatch(/no trailing SHA-256[\s\S]*failed its SHA-256 check; nothing uploaded/);

    expect(await s3.listKeys()).toEqual(before);
    expect(metrics().filter((l) => l.includes("EtcdBackupFailed"))).toHaveLength(failuresBefore + 2);
  },
  BACKUP_TEST_TIMEOUT_MS,
);

test(
  "uploads name the cluster's KMS key (SSE-KMS); s3rver accepts the headers; without a key the bucket default applies",
  async () => {
    leader = await findLeader();
    const key = "arn:aws:kms:eu-west-1:123456789012:key/0123abcd-0000-4000-8000-000000000000";
    // The real AWS CLI, behind a recorder of its arguments (s3rver ignores SSE and keeps no trace of it).
    const calls = join(work, "aws-calls.log");
    const recorder = writeExecutable(
      "aws-recorder",
      `#!/bin/bash\nprintf '%s\\n' "$*" >>"${calls}"\nexec ${AWS_CLI} "$@"\n`,
    );
    const at = T0 + 5 * 3600;
    const withKey = await backup(leader, at, { K8SHA_AWS: recorder, K8SHA_BACKUP_KMS_KEY_ID: key });
    expect({ code: withKey.code, stderr: withKey.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const copies = readFileSync(calls, "utf8")
      .split("\n")
      .filter((l) => / s3 cp /.test(` ${l} `));
    // all/ and hourly/ (a new hour of a day that already has its daily copy).
    expect(copies).toHaveLength(2);
    for (const line of copies) expect(line).toContain(`--sse aws:kms --sse-kms-key-id ${key}`);
    const name = `20240501T150500Z-${leader.name}.db.gz`;
    expect(await s3.listKeys()).toEqual(
      expect.arrayContaining([`${PREFIX}all/${name}`, `${PREFIX}hourly/${name}`]),
    );

    // No key in the env file: the upload goes without flags and the bucket default applies.
    rmSync(calls, { force: true });
    const withoutKey = await backup(leader, at + 60, { K8SHA_AWS: recorder });
    expect(withoutKey.code).toBe(0);
    const log = readFileSync(calls, "utf8");
    expect(log).toContain(" s3 cp ");
    expect(log).not.toContain("--sse");
    expect(withoutKey.stderr).toContain("the bucket default encryption applies");
  },
  BACKUP_TEST_TIMEOUT_MS,
);
