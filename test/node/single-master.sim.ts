/**
 * Node sandbox, a single-master cluster (dev with masters.count=1, allowNonHa): its replacement
 * rejoins its own volume with no peer to go through (it is its own quorum, and updates its peer
 * URL through itself once its etcd runs). A scenario of `npm run simulate` (two more master
 * boots than `npm test` can afford on 2 cores).
 */
import { execFileSync } from "node:child_process";
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

test("the only master is replaced and rejoins its volume without any peer", async () => {
  const first = await launch(0);
  expect((await first.boot()).code).toBe(0);
  const id = /member_id=([0-9a-f]+)/.exec(first.readMounted("/var/lib/etcd-volume/k8sha-identity"))?.[1];
  first.stop();
  cluster.aws.terminate(first.instanceId);

  const current = await launch(1);
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
