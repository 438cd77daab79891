/**
 * Node sandbox, a single-master cluster (dev with masters.count=1, allowNonHa): its replacement
 * rejoins its own volume with no peer to go through (it is its own quorum, and updates its peer
 * URL through itself once its etcd runs); and a reboot whose etcd volume is not mounted never
 * starts etcd on the root disk (the kubelet refuses the etcd-data hostPath of type Directory).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ETCDCTL_BIN } from "../support/etcdProcess";
import { SandboxCluster } from "./sandbox/cluster";
import type { NodeSandbox } from "./sandbox/node";

let cluster: SandboxCluster;
beforeAll(async () => {
  cluster = await SandboxCluster.create("dev", {
    masters: { count: 1, allowNonHa: true, instanceType: "t3.medium" },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const launch = (generation: number) =>
  cluster.launch({
    name: "cp-0",
    template: cluster.template("dev-cp-0-lt"),
    zone: "eu-west-1a",
    subnet: 1,
    generation,
  });

function memberList(node: NodeSandbox): string {
  const pki = join(node.root, "etc/kubernetes/pki/etcd");
  return execFileSync(
    ETCDCTL_BIN,
    [
      `--endpoints=https://${node.o.ip}:2379`,
      `--cacert=${pki}/ca.crt`,
      `--cert=${pki}/healthcheck-client.crt`,
      `--key=${pki}/healthcheck-client.key`,
      ...["member", "list", "-w", "simple"],
    ],
    { env: { ETCDCTL_API: "3" }, encoding: "utf8" },
  );
}

let current: NodeSandbox;

test("the only master is replaced and rejoins its volume without any peer", async () => {
  const first = await launch(0);
  expect((await first.boot()).code).toBe(0);
  const id = /member_id=([0-9a-f]+)/.exec(first.readMounted("/var/lib/etcd-volume/k8sha-identity"))?.[1];
  first.stop();
  cluster.aws.terminate(first.instanceId);

  current = await launch(1);
  const r = await current.boot();
  expect(r.code).toBe(0);
  expect(r.log).toContain("boot mode: rejoin");
  expect(r.log).toContain("k8sha[etcd-peer-update-local]: begin");
  expect(r.log).not.toContain("no other running master");
  const members = memberList(current).trim().split("\n");
  expect(members).toHaveLength(1);
  expect(members[0]).toMatch(
    new RegExp(`^${id}, started, .*, https://${current.o.ip.replaceAll(".", "\\.")}:2380, `),
  );
}, 200_000);

test("a reboot with the etcd volume not mounted starts no etcd on the root disk", async () => {
  current.stop();
  // A fresh mount namespace is a boot in which nothing mounted the volume; systemd then starts
  // the (enabled) kubelet, which runs the static pods.
  const r = await current.boot([["systemctl", "start", "kubelet"]]);
  expect(r.code).toBe(0);
  const kubelet = readFileSync(join(current.o.dir, "kubelet.log"), "utf8");
  expect(kubelet).toContain(
    'MountVolume.SetUp failed for volume "etcd-data": hostPath type check failed: /var/lib/etcd-volume/data is not a directory',
  );
  expect(existsSync(join(current.o.dir, "pods/etcd.pid"))).toBe(false);
  expect(existsSync(join(current.root, "var/lib/etcd-volume/data"))).toBe(false);
}, 60_000);
