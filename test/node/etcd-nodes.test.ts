/**
 * Dedicated etcd nodes (external topology) in the node sandbox: three members boot from the etcd
 * role's rendered user-data and bundle, with PATH limited to the Ubuntu AMI's commands plus what
 * the boot installs (the pinned etcd release, which here holds the host's etcd 3.4), and run real
 * etcd on their stable addresses. Stubbed, as everywhere in the sandbox: EC2/SSM answers
 * (fake endpoint with real attach/detach semantics), systemctl (it runs the unit's ExecStart),
 * snap (it places the AWS CLI).
 *
 * One cluster through the membership cases in order: a tampered download is refused before
 * anything starts; a fresh cluster bootstraps together; a member replaced with its data comes
 * back as the same member with no membership change; a blank volume removes the stale member,
 * joins as a learner and is promoted; two members replaced at once (with their data) restore
 * quorum. No key is lost.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BACKUP_PREFIX, EtcdNodeCluster } from "../support/sandbox/etcdNodes";
import type { NodeSandbox } from "../support/sandbox/node";

const KEYS = 50;
let cluster: EtcdNodeCluster;
const nodes: NodeSandbox[] = [];

beforeAll(async () => {
  cluster = await EtcdNodeCluster.create(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** `member list` as [id, status, name, peerUrls, clientUrls, isLearner] rows. */
function members(): string[][] {
  return cluster
    .etcdctl(["member", "list", "-w", "simple"])
    .trim()
    .split("\n")
    .map((l) => l.split(", "));
}

function keyCount(): number {
  // etcdctl 3.4 has no --count-only: one key per line.
  return cluster
    .etcdctl(["get", "k8sha-test/", "--prefix", "--keys-only"])
    .split("\n")
    .filter((l) => l !== "").length;
}

async function replace(indexes: number[], blank = false): Promise<{ code: number; log: string }[]> {
  for (const i of indexes) cluster.terminate(nodes[i] as NodeSandbox);
  if (blank) for (const i of indexes) await cluster.blankVolume(i);
  for (const i of indexes) nodes[i] = await cluster.launch(i);
  return Promise.all(indexes.map((i) => (nodes[i] as NodeSandbox).boot()));
}

test("a release whose sha256 differs from its pin is refused before etcd is installed", async () => {
  const node = await cluster.launch(0, { sha256: "0".repeat(64) });
  const boot = await node.boot();
  expect(boot.code).not.toBe(0);
  expect(boot.log).toMatch(/does not have its pinned sha256 0{64}/);
  expect(existsSync(join(node.root, "opt/k8sha/bin/etcd-boot.sh"))).toBe(true);
  expect(existsSync(join(node.root, "opt/k8sha/etcd/etcd"))).toBe(false);
  cluster.terminate(node);
}, 120_000);

test("three blank members bootstrap one cluster together on their stable addresses", async () => {
  for (let i = 0; i < 3; i++) nodes[i] = await cluster.launch(i);
  const boots = await Promise.all(nodes.map((n) => n.boot()));
  for (const b of boots) {
    expect(b.log).toContain("boot mode: new");
    expect(b.code).toBe(0);
  }
  const list = members();
  expect(list).toHaveLength(3);
  for (const [i, m] of cluster.members.entries()) {
    const row = list.find((r) => r[3] === `https://${m.stableAddress}:2380`);
    expect(row?.[1]).toBe("started");
    expect(row?.[2]).toBe(`ext-etcd-${i}`);
    expect(row?.[5]).toBe("false");
  }
  expect(cluster.aws.ssm.parameters.get("/k8sha/ext/state/etcd-initialised")?.value).toMatch(/^ext-etcd-\d$/);
  for (let k = 0; k < KEYS; k++) cluster.etcdctl(["put", `k8sha-test/${k}`, `v${k}`]);
  expect(keyCount()).toBe(KEYS);
}, 300_000);

test("a member replaced with its volume comes back as the same member, no membership change", async () => {
  const before = members().find((r) => r[2] === "ext-etcd-1")?.[0];
  const [boot] = await replace([1]);
  expect(boot?.log).toContain("boot mode: rejoin");
  expect(boot?.log).not.toMatch(/removing it|as a learner|promoted/);
  expect(boot?.code).toBe(0);
  expect(members().find((r) => r[2] === "ext-etcd-1")?.[0]).toBe(before);
  expect(keyCount()).toBe(KEYS);
}, 300_000);

test("a blank volume replaces the stale member: removed, added as a learner, promoted", async () => {
  const before = members().find((r) => r[2] === "ext-etcd-2")?.[0];
  const [boot] = await replace([2], true);
  expect(boot?.log).toContain("boot mode: join");
  expect(boot?.log).toMatch(/predecessor, its data gone: removing it/);
  expect(boot?.log).toMatch(/as a learner/);
  expect(boot?.log).toMatch(/caught up and was promoted to a voting member/);
  expect(boot?.code).toBe(0);
  const row = members().find((r) => r[2] === "ext-etcd-2");
  expect(row?.[0]).not.toBe(before);
  expect(row?.[5]).toBe("false");
  expect(members()).toHaveLength(3);
  expect(keyCount()).toBe(KEYS);
}, 300_000);

test("two members replaced at once with their volumes restore quorum together", async () => {
  const boots = await replace([0, 1]);
  for (const b of boots) {
    expect(b.log).toContain("boot mode: rejoin");
    expect(b.code).toBe(0);
  }
  expect(members().filter((r) => r[1] === "started" && r[5] === "false")).toHaveLength(3);
  expect(keyCount()).toBe(KEYS);
}, 300_000);

/**
 * An etcdctl for one boot (K8SHA_ETCDCTL, which the scripts take from their environment) that
 * refuses every `member promote` and hands every other call to the etcdctl the boot installed,
 * so that no promotion can win a race against the boot giving up. Each refusal is a line of `log`.
 */
function promotionRefusingEtcdctl(node: NodeSandbox): { path: string; log: string } {
  const path = join(node.o.dir, "etcdctl-refusing-promote");
  const log = join(node.o.dir, "promotions-refused.log");
  const script = [
    "#!/usr/bin/bash",
    "prev=",
    'for a in "$@"; do',
    '  if [[ "$prev" == member && "$a" == promote ]]; then',
    `    printf '%s\\n' "$*" >>'${log}'`,
    '    echo "Error: member promote refused by the test stub" >&2',
    "    exit 1",
    "  fi",
    '  prev="$a"',
    "done",
    // exec: etcd_lock_run signals the pid it started, which must be etcdctl itself.
    'exec /opt/k8sha/etcd/etcdctl "$@"',
  ];
  writeFileSync(path, `${script.join("\n")}\n`, { mode: 0o755 });
  return { path, log };
}

/** Polls `probe` (a throw counts as "not yet") until it returns a value, at most `seconds`. */
async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; ) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

test("a join cut off after its learner started resumes on the next boot instead of removing itself", async () => {
  cluster.terminate(nodes[1] as NodeSandbox);
  await cluster.blankVolume(1);
  const peerUrl = `https://${cluster.members[1]?.stableAddress}:2380`;
  const node = await cluster.launch(1);
  nodes[1] = node;
  // The first attempt adds and starts the learner, then every promotion is refused and its
  // bounded wait gives up: cut off after the learner started, whatever the learner's pace.
  const stub = promotionRefusingEtcdctl(node);
  node.o.env = { K8SHA_ETCDCTL: stub.path, ETCD_PROMOTE_WAIT_SECONDS: "3" };
  const first = await node.boot();
  expect(first.code).not.toBe(0);
  expect(first.log).toMatch(/as a learner/);
  expect(first.log).toMatch(/was not promoted within 3 s/);
  expect(readFileSync(stub.log, "utf8").match(/member promote/g)?.length).toBeGreaterThanOrEqual(1);
  // Its etcd ran: the learner published its name (so its data is on the volume), still a learner.
  const learner = await until("the learner to publish its name", 60, () =>
    members().find((r) => r[3] === peerUrl && r[2] === "ext-etcd-1"),
  );
  expect(learner[5]).toBe("true");
  // The instance reboots: systemd starts the boot unit again, without the test's settings.
  node.stop();
  node.o.env = {};
  const again = await node.boot([["systemctl", "start", "k8sha-boot.service"]]);
  expect(again.log).toMatch(
    /holds the learner an earlier attempt of this join started: finishing its promotion/,
  );
  expect(again.log).not.toMatch(/removing it|as a learner/);
  expect(again.log).toMatch(/caught up and was promoted to a voting member/);
  expect(again.code).toBe(0);
  const row = members().find((r) => r[3] === peerUrl);
  expect(row?.[0]).toBe(learner[0]);
  expect(row?.[5]).toBe("false");
  expect(members().filter((r) => r[1] === "started" && r[5] === "false")).toHaveLength(3);
  expect(keyCount()).toBe(KEYS);
}, 300_000);

test("every member runs the backup service; only the etcd leader uploads a verified snapshot", async () => {
  const runs = await Promise.all(nodes.map((n) => cluster.runService(n, "k8sha-etcd-backup.service")));
  for (const r of runs) expect(r.code).toBe(0);
  const uploaded = runs.filter((r) => r.stderr.includes("uploaded"));
  expect(uploaded).toHaveLength(1);
  expect(runs.filter((r) => r.stderr.includes("not the etcd leader"))).toHaveLength(2);
  const keys = await cluster.objects(BACKUP_PREFIX);
  const leader = /\/all\/\d{8}T\d{6}Z-(ext-etcd-\d)\.db\.gz$/.exec(
    keys.find((k) => k.includes("/all/")) ?? "",
  )?.[1];
  expect(leader).toBeDefined();
  for (const dir of ["all", "hourly", "daily"]) {
    expect(
      keys.filter((k) => k.startsWith(`${BACKUP_PREFIX}${dir}/`) && k.endsWith(`-${leader}.db.gz`)),
    ).toHaveLength(1);
  }
}, 120_000);

/** When member `index`'s etcd process started (its own metric): unchanged means no restart. */
async function etcdStartTime(index: number): Promise<string> {
  const text = await (await fetch(`http://${cluster.members[index]?.stableAddress}:2381/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("process_start_time_seconds "));
  if (!line) throw new Error("etcd publishes no process_start_time_seconds");
  return line;
}

/** The serial of the certificate a TLS handshake with member `index`'s client port presents. */
function servedSerial(index: number): string {
  const m = cluster.members[index];
  return execFileSync(
    "bash",
    [
      "-c",
      'openssl s_client -connect "$1" -cert "$2" -key "$3" -CAfile "$4" </dev/null 2>/dev/null | openssl x509 -noout -serial',
      "_",
      `${m?.stableAddress}:2379`,
      cluster.client?.cert ?? "",
      cluster.client?.key ?? "",
      cluster.ca?.cert ?? "",
    ],
    { encoding: "utf8" },
  ).trim();
}

test("the daily renewal keeps valid certificates and reissues expiring ones, which etcd serves without a restart", async () => {
  const node = nodes[0] as NodeSandbox;
  const unit = "k8sha-etcd-cert-renewal.service";
  const before = servedSerial(0);
  expect(before).toMatch(/^serial=[0-9A-F]+$/);
  const started = await etcdStartTime(0);
  const kept = await cluster.runService(node, unit);
  expect(kept.code).toBe(0);
  expect(kept.stderr).toMatch(/valid for more than 30 days/);
  expect(servedSerial(0)).toBe(before);
  // Every certificate "expires within 400 days": reissued, and the next handshake shows it.
  const renewed = await cluster.runService(node, unit, { K8SHA_ETCD_RENEW_DAYS: "400" });
  expect(renewed.code).toBe(0);
  expect(renewed.stderr).toMatch(/expires within 400 days: reissuing/);
  expect(servedSerial(0)).not.toBe(before);
  expect(await etcdStartTime(0)).toBe(started);
  expect(members().filter((r) => r[1] === "started")).toHaveLength(3);
  expect(keyCount()).toBe(KEYS);
}, 120_000);

test("every etcd node publishes etcd's health and its own certificates' days, no control-plane metric", async () => {
  const runs = await Promise.all(nodes.map((n) => cluster.runService(n, "k8sha-node-health.service")));
  for (const r of runs) expect(r.code).toBe(0);
  const data = cluster.aws.cloudWatch.published.flatMap((p) => p.metrics);
  for (const m of cluster.members) {
    const zone = (name: string) =>
      data.filter(
        (d) =>
          d.name === name && d.dimensions.AvailabilityZone === m.zone && d.dimensions.ClusterName === "ext",
      );
    expect(zone("EtcdHasLeader").map((d) => d.value)).toEqual([1]);
    expect(zone("EtcdHealthyMembers").map((d) => d.value)).toEqual([3]);
    const days = zone("CertificateDaysLeft");
    expect(days).toHaveLength(1);
    expect(days[0]?.dimensions.Role).toBe("etcd");
    // Issued for 365 days at boot (or just now, for member 0's renewal).
    expect(days[0]?.value).toBeGreaterThanOrEqual(363);
    expect(days[0]?.value).toBeLessThanOrEqual(365);
  }
  expect(data.filter((d) => /ApiServer|ControllerManager|Scheduler/.test(d.name))).toEqual([]);
}, 120_000);
