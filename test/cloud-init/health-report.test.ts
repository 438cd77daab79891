/**
 * The node health report (lib/health.sh) against a real 3-member etcd 3.4 cluster with mutual TLS
 * and `--listen-metrics-urls`, real openssl certificates in a temp pki dir, real TLS endpoints
 * (node https servers) for the local control-plane components, and a fake aws that records every
 * put-metric-data call. Runs are sequential: each scenario breaks the cluster a little more.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { EtcdTestCluster, run } from "../support/etcdCluster";
import { sleep } from "../support/etcdProcess";
import { issueCert } from "../support/pki";

const LIB = resolve(__dirname, "../../cloud-init/lib");
const M1 = { name: "m1", ip: "127.0.1.21" };
const M2 = { name: "m2", ip: "127.0.2.21" };
const M3 = { name: "m3", ip: "127.0.3.21" };
const PORTS = { api: 26443, kcm: 26457, scheduler: 26459 };
const DAY = 86_400_000;

interface Datum {
  MetricName: string;
  Value: number;
  Unit: string;
  Dimensions: { Name: string; Value: string }[];
}
interface Put {
  namespace: string;
  data: Datum[];
}

/** The fake aws: records every call's arguments (one line each), fails when FAKE_AWS_FAIL is set. */
const recorderScript = (log: string) =>
  `#!/bin/bash\nprintf '%s\\n' "$*" >>"${log}"\n` +
  `if [[ -n "\${FAKE_AWS_FAIL:-}" ]]; then echo "An error occurred (Throttling)" >&2; exit 255; fi\n`;

/** The put-metric-data calls recorded after the first `skip` lines. */
function putsSince(log: string, skip: number): Put[] {
  let lines: string[] = [];
  try {
    lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
  return lines.slice(skip).map((line) => {
    const m = /^cloudwatch put-metric-data --namespace (\S+) --metric-data (.*)$/.exec(line);
    if (!m) throw new Error(`unexpected aws call: ${line}`);
    return { namespace: m[1] as string, data: JSON.parse(m[2] as string) as Datum[] };
  });
}

let cluster: EtcdTestCluster;
let work: string;
const servers: Server[] = [];

/** A one-path https server on 127.0.0.1 answering `status` (the components' serving certs). */
function serve(port: number, path: string, status: number): Promise<void> {
  const tls = issueCert(cluster.ca, `component-${port}`, ["127.0.0.1"]);
  const server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    res.writeHead(req.url === path ? status : 404).end(req.url === path ? "ok" : "");
  });
  servers.push(server);
  return new Promise((done) => server.listen(port, "127.0.0.1", () => done()));
}

/** kubeadm's pki layout with openssl certificates: apiserver.crt expires in 5 days (and an hour,
 * so 5 whole days remain while the test runs), etcd/server.crt in 200. */
function pki(dir: string): void {
  mkdirSync(join(dir, "etcd"), { recursive: true });
  mkdirSync(join(dir, "db"));
  writeFileSync(join(dir, "db/index.txt"), "");
  const cnf = join(dir, "openssl.cnf");
  writeFileSync(
    cnf,
    `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n[ca]\ndefault_ca = k\n[k]\n` +
      `database = ${dir}/db/index.txt\nnew_certs_dir = ${dir}/db\nrand_serial = yes\ndefault_md = sha256\n` +
      "policy = p\nunique_subject = no\n[p]\ncommonName = supplied\n",
  );
  const ssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  const ec = ["-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-config", cnf];
  for (const [name, days] of [
    ["apiserver", 5],
    ["etcd/server", 200],
  ] as const) {
    const out = join(dir, name);
    ssl([
      "req",
      "-new",
      ...ec,
      "-keyout",
      `${out}.key`,
      "-out",
      `${out}.csr`,
      "-subj",
      `/CN=${name.replace("/", "-")}`,
    ]);
    const end = new Date(Date.now() + days * DAY + 3_600_000).toISOString().replace(/[-:T]|\.\d+/g, "");
    ssl(
      ["ca", "-batch", "-selfsign", "-config", cnf, "-keyfile", `${out}.key`, "-in", `${out}.csr`].concat([
        "-out",
        `${out}.crt`,
        "-notext",
        "-enddate",
        end,
      ]),
    );
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "k8sha-health-"));
  cluster = await EtcdTestCluster.create({ clientPort: 26079, peerPort: 26080, metricsPort: 26081 });
  await cluster.startNew([M1, M2, M3]);
  pki(join(work, "pki"));
  mkdirSync(join(work, "kube"));
  writeFileSync(join(work, "aws"), recorderScript(join(work, "puts.log")), { mode: 0o755 });
  // The API server is ready, the scheduler answers 500, nothing listens for the controller-manager.
  await serve(PORTS.api, "/readyz", 200);
  await serve(PORTS.scheduler, "/healthz", 500);
}, 60_000);

afterAll(async () => {
  for (const s of servers) s.close();
  await cluster.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** One `health_report_once` on m1, as the service runs it; returns its exit code, log and puts. */
async function report(
  extra: Record<string, string> = {},
): Promise<{ code: number; log: string; puts: Put[] }> {
  const before = putsSince(join(work, "puts.log"), 0).length;
  const result = await run(
    "bash",
    [
      "-c",
      `set -euo pipefail; . ${LIB}/common.sh; . ${LIB}/cert-expiry.sh; . ${LIB}/health.sh; health_report_once`,
    ],
    {
      ...cluster.tlsEnv(),
      K8SHA_METRICS_NAMESPACE: METRICS_NAMESPACE,
      K8SHA_HEALTH_CLUSTER: "dev",
      K8SHA_HEALTH_ZONE: "eu-west-1a",
      K8SHA_HEALTH_ETCD_METRICS_URL: cluster.metricsUrl(M1.ip),
      K8SHA_HEALTH_ETCD_ENDPOINTS: [M1, M2, M3].map((m) => cluster.clientUrl(m.ip)).join(","),
      K8SHA_HEALTH_HOST: "127.0.0.1",
      API_PORT: String(PORTS.api),
      K8SHA_KCM_PORT: String(PORTS.kcm),
      K8SHA_SCHEDULER_PORT: String(PORTS.scheduler),
      K8SHA_PKI_DIR: join(work, "pki"),
      K8SHA_KUBECONFIG_DIR: join(work, "kube"),
      K8SHA_STATE_DIR: join(work, "state"),
      K8SHA_METRICS_AWS: join(work, "aws"),
      K8SHA_RETRY_BASE: "1",
      ...extra,
    },
  );
  return { code: result.code, log: result.stderr, puts: putsSince(join(work, "puts.log"), before) };
}

/** The single put of a run, as { MetricName: Value }, after checking namespace and dimensions. */
function values(puts: Put[]): Record<string, number> {
  expect(puts).toHaveLength(1);
  const [put] = puts as [Put];
  expect(put.namespace).toBe(METRICS_NAMESPACE);
  const out: Record<string, number> = {};
  for (const datum of put.data) {
    expect(datum.Dimensions).toEqual([
      { Name: "ClusterName", Value: "dev" },
      { Name: "AvailabilityZone", Value: "eu-west-1a" },
    ]);
    out[datum.MetricName] = datum.Value;
  }
  return out;
}

test("a healthy cluster: a leader, 3 healthy members, the component probes and 5 certificate days", async () => {
  const run1 = await report();
  if (run1.code !== 0) throw new Error(`exit ${run1.code}:\n${run1.log}`);
  const v = values(run1.puts);
  expect(v).toMatchObject({
    EtcdHasLeader: 1,
    EtcdHealthyMembers: 3,
    EtcdLeaderChanges15m: 0,
    ApiServerReady: 1,
    ControllerManagerHealthy: 0,
    SchedulerHealthy: 0,
    CertificateDaysLeft: 5,
  });
  // etcd's default quota (2 GiB) against a fresh database: far below any alarm.
  expect(v.EtcdDbSizeRatio).toBeGreaterThan(0);
  expect(v.EtcdDbSizeRatio).toBeLessThan(0.01);
  // The bootstrap's own fsyncs and commits: p99 of real observations, a positive duration.
  expect(v.EtcdWalFsyncP99Seconds).toBeGreaterThan(0);
  expect(v.EtcdBackendCommitP99Seconds).toBeGreaterThan(0);
  // Every value is logged, and no instance id appears in anything published.
  for (const name of Object.keys(v)) expect(run1.log).toContain(`${name} = `);
  expect(readFileSync(join(work, "puts.log"), "utf8")).not.toMatch(/i-[0-9a-f]{8,}|InstanceId/);
});

test("a leader change since the last run is counted in the 15-minute window", async () => {
  const status = await cluster.etcdctlOk(["endpoint", "status", "-w", "json"], [cluster.clientUrl(M1.ip)]);
  const leader = BigInt(/"leader":(\d+)/.exec(status)?.[1] ?? "0");
  const members = await cluster.memberList(cluster.clientUrl(M1.ip));
  const target = members.find((m) => BigInt(`0x${m.id}`) !== leader);
  const leaderUrl = members.find((m) => BigInt(`0x${m.id}`) === leader)?.clientUrls[0];
  if (!target || !leaderUrl) throw new Error(`no leader in ${status}`);
  await cluster.etcdctlOk(["move-leader", target.id], [leaderUrl]);
  await cluster.waitHealthy([M1, M2, M3].map((m) => cluster.clientUrl(m.ip)));
  const v = values((await report()).puts);
  expect(v.EtcdLeaderChanges15m).toBe(1);
  expect(v.EtcdHasLeader).toBe(1);
});

test("one member down: 2 healthy members, still a leader", async () => {
  await cluster.stop("m3");
  await cluster.waitHealthy([M1, M2].map((m) => cluster.clientUrl(m.ip)));
  const v = values((await report()).puts);
  expect(v).toMatchObject({ EtcdHasLeader: 1, EtcdHealthyMembers: 2 });
});

test("two members down: no leader, no healthy member; the report is still published", async () => {
  await cluster.stop("m2");
  // m1 notices the lost quorum within an election timeout (1 s here): wait for its own metric.
  for (let i = 0; i < 50; i++) {
    const metrics = await run("curl", ["-s", cluster.metricsUrl(M1.ip)]);
    if (/^etcd_server_has_leader 0$/m.test(metrics.stdout)) break;
    await sleep(200);
  }
  const result = await report();
  // The log rides along so that a failure shows it.
  if (result.code !== 0) throw new Error(`exit ${result.code}:\n${result.log}`);
  const v = values(result.puts);
  expect(v).toMatchObject({ EtcdHasLeader: 0, EtcdHealthyMembers: 0, ApiServerReady: 1 });
});

test("etcd unreachable: the bad-when-zero metrics read 0, the others are skipped", async () => {
  await cluster.stop("m1");
  const v = values((await report()).puts);
  expect(v).toMatchObject({
    EtcdHasLeader: 0,
    EtcdHealthyMembers: 0,
    ApiServerReady: 1,
    CertificateDaysLeft: 5,
  });
  for (const skipped of ["EtcdDbSizeRatio", "EtcdLeaderChanges15m", "EtcdWalFsyncP99Seconds"])
    expect(v).not.toHaveProperty(skipped);
});

test("CloudWatch refusing: three attempts, then a non-zero exit", async () => {
  const before = putsSince(join(work, "puts.log"), 0).length;
  const result = await report({ FAKE_AWS_FAIL: "1" });
  expect(result.code).toBe(1);
  expect(result.log).toContain("giving up after 3 attempts");
  // The recorder logs failed calls too: exactly three.
  expect(putsSince(join(work, "puts.log"), before)).toHaveLength(3);
}, 30_000);

describe("a small --quota-backend-bytes", () => {
  let small: EtcdTestCluster;
  const ONE = { name: "q1", ip: "127.0.4.21" };

  beforeAll(async () => {
    small = await EtcdTestCluster.create({
      ...{ clientPort: 26179, peerPort: 26180, metricsPort: 26181 },
      quotaBackendBytes: 2 * 1024 * 1024,
    });
    await small.startNew([ONE]);
    const value = "x".repeat(16 * 1024);
    for (let i = 0; i < 60; i++) await small.put(small.clientUrl(ONE.ip), `big/${i}`, value);
  }, 60_000);
  afterAll(() => small.cleanup());

  test("data written against it: the database ratio reads high", async () => {
    const v = values(
      (
        await report({
          ...small.tlsEnv(),
          K8SHA_HEALTH_ETCD_METRICS_URL: small.metricsUrl(ONE.ip),
          K8SHA_HEALTH_ETCD_ENDPOINTS: small.clientUrl(ONE.ip),
          K8SHA_STATE_DIR: join(work, "state-small"),
        })
      ).puts,
    );
    // About 1 MiB of values in a 2 MiB quota; etcd's mixin warns from 0.8 on (the alarm's job).
    expect(v.EtcdDbSizeRatio).toBeGreaterThan(0.4);
    expect(v.EtcdDbSizeRatio).toBeLessThan(1);
    expect(v).toMatchObject({ EtcdHasLeader: 1, EtcdHealthyMembers: 1 });
  });
});

test("a master of the external topology (control-plane role): its components and certificates, no etcd", async () => {
  // The etcd metrics URL points nowhere: the role must not even try it.
  const r = await report({
    K8SHA_HEALTH_ROLE: "control-plane",
    K8SHA_HEALTH_ETCD_METRICS_URL: "http://127.0.0.1:9/metrics",
  });
  if (r.code !== 0) throw new Error(`exit ${r.code}:\n${r.log}`);
  const v = values(r.puts);
  expect(v).toEqual({
    ApiServerReady: 1,
    ControllerManagerHealthy: 0,
    SchedulerHealthy: 0,
    CertificateDaysLeft: 5,
  });
  expect(r.log).not.toContain("etcd metrics");
});
