/**
 * etcd restores, for real (etcd 3.4 + etcdctl, TLS on loopback), driven through the operator CLI
 * `scripts/etcd-restore.sh`: (3) the whole cluster from one snapshot fetched from s3rver with the
 * real AWS CLI, and (4) one lost member rebuilt while the other two keep quorum.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { nodeFacts } from "../../cloud-init/render-env";
import { ETCDCTL_BIN, type EtcdMemberSpec, EtcdTestCluster, run } from "../support/etcdCluster";
import { S3TestServer } from "../support/s3";

const RESTORE_CLI = resolve(__dirname, "../../scripts/etcd-restore.sh");
const MEMBERS: EtcdMemberSpec[] = [
  { name: "master-a", ip: "127.0.6.1" },
  { name: "master-b", ip: "127.0.6.2" },
  { name: "master-c", ip: "127.0.6.3" },
];
const KEYS = 500;

let cluster: EtcdTestCluster;
let s3: S3TestServer;
let work: string;
const urls = () => MEMBERS.map((m) => cluster.clientUrl(m.ip));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "k8sha-restore-"));
  [cluster, s3] = await Promise.all([
    EtcdTestCluster.create({ clientPort: 24579, peerPort: 24580, heartbeatMs: 100, electionMs: 1000 }),
    S3TestServer.start("k8sha-test-restore"),
  ]);
  await cluster.startNew(MEMBERS);
}, 30000);

afterAll(async () => {
  await cluster?.cleanup();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function restoreCli(args: string[], env: Record<string, string> = {}) {
  return run("bash", [RESTORE_CLI, ...args], {
    // What the CLI would read from a master's node.env (the host has none: never read one).
    ...nodeFacts("master"),
    K8SHA_NODE_ENV: join(work, "no-node.env"),
    ...cluster.tlsEnv(),
    ...s3.awsEnv(),
    K8SHA_ETCDCTL: ETCDCTL_BIN,
    K8SHA_ETCDUTL: "/nonexistent/etcdutl",
    K8SHA_STATE_DIR: join(work, "state"),
    K8SHA_RETRY_MAX: "8",
    K8SHA_RETRY_CAP: "3",
    K8SHA_RETRY_BASE: "1",
    K8SHA_ETCD_COMMAND_TIMEOUT: "10s",
    ...env,
  });
}

/** Keys under `prefix` in `endpoint`'s local copy (serializable read: proves it holds the data). */
async function countKeys(endpoint: string, prefix: string): Promise<number> {
  const out = await cluster.etcdctlOk(
    ["get", prefix, "--prefix", "--keys-only", "--consistency=s"],
    [endpoint],
  );
  return out.split("\n").filter((line) => line.startsWith(prefix)).length;
}

async function clusterId(endpoint: string): Promise<string | undefined> {
  const status = await cluster.etcdctlOk(["endpoint", "status", "-w", "json"], [endpoint]);
  return /"cluster_id":(\d+)/.exec(status)?.[1];
}

test("whole-cluster restore from an S3 snapshot brings back every key on every member", async () => {
  const first = cluster.clientUrl(MEMBERS[0].ip);
  await cluster.putMany(first, "/registry/pods/", KEYS);
  const snapshot = join(work, "snap.db");
  await cluster.etcdctlOk(["snapshot", "save", snapshot], [first]);
  await s3.putObject("dev/etcd/all/20240501T100500Z-master-a.db.gz", gzipSync(readFileSync(snapshot)));
  await cluster.put(first, "/registry/after-snapshot", "must-not-survive");
  const oldClusterId = await clusterId(first);

  // Disaster: every member down; master-a and master-b lose their data, master-c keeps stale data.
  await Promise.all(MEMBERS.map((m) => cluster.kill(m.name)));
  for (const m of MEMBERS.slice(0, 2))
    rmSync(cluster.defaultDataDir(m.name), { recursive: true, force: true });
  const local = join(work, "downloaded.db.gz");
  writeFileSync(local, await s3.getObject("dev/etcd/all/20240501T100500Z-master-a.db.gz"));

  const initialCluster = cluster.initialCluster(MEMBERS);
  const results = await Promise.all(
    MEMBERS.map((m, i) =>
      restoreCli(
        [
          "full",
          ...[
            "--snapshot",
            i === 0 ? `s3://${s3.bucket}/dev/etcd/all/20240501T100500Z-master-a.db.gz` : local,
          ],
          ...["--name", m.name, "--peer-url", cluster.peerUrl(m.ip), "--initial-cluster", initialCluster],
          ...["--token", "k8sha-restore-1", "--data-dir", cluster.defaultDataDir(m.name)],
          ...["--endpoint", cluster.clientUrl(m.ip)],
        ],
        { ETCD_IDENTITY_FILE: join(work, `${m.name}.identity`), CLUSTER_NAME: "dev" },
      ),
    ),
  );
  for (const r of results)
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  // The stale data dir was moved aside, not deleted.
  const parent = dirname(cluster.defaultDataDir("master-c"));
  expect(readdirSync(parent).filter((f) => f.startsWith("master-c.etcd.pre-restore-"))).toHaveLength(1);

  for (const m of MEMBERS) cluster.start(m, { initialCluster, initialClusterState: "new" });
  await cluster.waitHealthy(urls(), 20000);
  for (const url of urls()) expect(await countKeys(url, "/registry/pods/")).toBe(KEYS);
  expect(await cluster.get(first, "/registry/after-snapshot")).toBeUndefined();
  expect(await clusterId(first)).not.toBe(oldClusterId);
  expect((await cluster.memberList(first)).map((m) => m.name).sort()).toEqual(MEMBERS.map((m) => m.name));
  // Each volume's identity names the member id etcd gave the restored member.
  for (const m of await cluster.memberList(first))
    expect(readFileSync(join(work, `${m.name}.identity`), "utf8")).toMatch(
      new RegExp(`^cluster=dev\nmember_id=${m.id}\n`),
    );
});

test("one lost member is rebuilt empty while the other two keep quorum, and catches up", async () => {
  const [a, b, c] = MEMBERS as [EtcdMemberSpec, EtcdMemberSpec, EtcdMemberSpec];
  await cluster.kill(c.name);
  rmSync(cluster.defaultDataDir(c.name), { recursive: true, force: true });
  // If c led, the other two elect a new leader first.
  await cluster.waitHealthy(
    [a, b].map((m) => cluster.clientUrl(m.ip)),
    20000,
  );
  // Writes while it is gone: quorum (2 of 3) still accepts them.
  await cluster.putMany(cluster.clientUrl(a.ip), "/registry/while-down/", 50);

  const healthy = [a, b].map((m) => cluster.clientUrl(m.ip)).join(",");
  const out = await restoreCli(
    [
      "replace-member",
      ...["--endpoints", healthy, "--name", c.name, "--peer-url", cluster.peerUrl(c.ip)],
      ...["--data-dir", cluster.defaultDataDir(c.name)],
    ],
    { ETCD_IDENTITY_FILE: join(work, "c-replaced.identity"), CLUSTER_NAME: "dev" },
  );
  if (out.code !== 0) console.log(out.stderr);
  expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const initialCluster = /^ETCD_INITIAL_CLUSTER="([^"]+)"$/m.exec(out.stdout)?.[1];
  expect(out.stdout).toMatch(/^ETCD_INITIAL_CLUSTER_STATE="existing"$/m);
  expect(initialCluster?.split(",").sort()).toEqual(cluster.initialCluster(MEMBERS).split(",").sort());
  expect(existsSync(cluster.defaultDataDir(c.name))).toBe(false);

  cluster.start(c, { initialCluster: initialCluster ?? "", initialClusterState: "existing" });
  await cluster.waitHealthy(urls(), 20000);
  const rebuilt = cluster.clientUrl(c.ip);
  expect(await countKeys(rebuilt, "/registry/pods/")).toBe(KEYS);
  expect(await countKeys(rebuilt, "/registry/while-down/")).toBe(50);
  const newId = (await cluster.memberList(rebuilt)).find((m) => m.name === c.name)?.id;
  expect(readFileSync(join(work, "c-replaced.identity"), "utf8")).toMatch(
    new RegExp(`^cluster=dev\nmember_id=${newId}\n`),
  );
});

test("with etcdutl in the image (kubeadm 1.32+), snapshot status and restore go through it", async () => {
  // Stand-in etcdutl: records its arguments and runs etcdctl 3.4, whose `snapshot status|restore`
  // take the same flags (etcd 3.6 removed them from etcdctl; etcdutl keeps them).
  const log = join(work, "etcdutl.log");
  const etcdutl = join(work, "etcdutl");
  writeFileSync(
    etcdutl,
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >>"${log}"\nETCDCTL_API=3 exec ${ETCDCTL_BIN} "$@"\n`,
  );
  chmodSync(etcdutl, 0o755);
  const data = join(work, "etcdutl-restore", "data");
  mkdirSync(dirname(data), { recursive: true }); // the mounted etcd volume, on a master
  const peer = "https://127.0.9.10:2380";
  const args = ["full", "--snapshot", join(work, "snap.db"), "--name", "m9", "--peer-url", peer];
  args.push("--initial-cluster", `m9=${peer}`, "--token", "k8sha-etcdutl", "--data-dir", data);
  args.push("--endpoint", "https://127.0.9.10:2379");
  const r = await restoreCli(args, {
    K8SHA_ETCDUTL: etcdutl,
    ETCD_IDENTITY_FILE: join(work, "m9.identity"),
    CLUSTER_NAME: "dev",
  });
  if (r.code !== 0) console.log(r.stderr);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const calls = readFileSync(log, "utf8");
  expect(calls).toMatch(/^snapshot status .*snapshot\.db -w json$/m);
  expect(calls).toMatch(
    new RegExp(
      `^snapshot restore .* --initial-cluster-token k8sha-etcdutl .*--data-dir ${data}\\.restoring$`,
      "m",
    ),
  );
  expect(existsSync(join(data, "member"))).toBe(true);
});
