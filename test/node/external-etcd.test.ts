/**
 * The whole cluster in the external etcd topology, in node sandboxes: the dev stack's graph with
 * `etcd.topology: external` (its 3 etcd nodes and 3 stateless masters, each from its own launch
 * template's user-data and its role's boot bundle, the etcd volumes the graph's), booted at the
 * same moment. Real here: the boot scripts, etcd (the host's 3.4 in the pinned release's tarball,
 * see externalSimulation.ts), etcdctl, openssl, curl, the AWS CLI against the fake EC2/SSM and
 * s3rver. Stubbed: kubeadm, kubelet, kube-apiserver and kubectl (fakes/kube*.js; the API server is
 * ready while etcd serves with quorum through the external endpoints, the controller manager's
 * Lease is held by the lowest-address master whose API is ready), systemctl, apt-get, snap.
 *
 * One cluster through the cases in order: the fresh cluster (master 0 inits, masters 1-2 come up
 * offline, the etcd nodes bootstrap); an etcd node replaced with its data; one with a blank
 * volume; then every master replaced at once while etcd is untouched. Two etcd nodes replaced at
 * once is external-etcd.sim.ts (`npm run simulate -- --scenarios`), for this file's time budget. Each case checks etcd itself (member list, every key and value) with the host's
 * etcdctl, and the masters' own API servers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ExternalSimulation, type MemberRow } from "../support/sandbox/externalSimulation";
import type { NodeSandbox } from "../support/sandbox/node";

const KEYS = 30;
let sim: ExternalSimulation;
let keysBefore: string[] = [];

beforeAll(async () => {
  sim = await ExternalSimulation.create();
}, 120_000);

afterAll(async () => {
  await sim?.stop();
});

const byName = (rows: MemberRow[]) => [...rows].sort((a, b) => a.name.localeCompare(b.name));
const voters = (rows: MemberRow[]) => rows.filter((r) => r.status === "started" && !r.isLearner);

async function everyApiReady(masters: NodeSandbox[]): Promise<number[]> {
  return Promise.all(masters.map((m) => sim.readyz(m)));
}

/** Lets the failure name the node's boot log instead of a bare exit code. */
function bootOk(node: NodeSandbox, boot: { code: number; log: string }): void {
  if (boot.code !== 0)
    throw new Error(`${node.o.dir} boot failed (exit ${boot.code}); see ${node.o.dir}/boot.log`);
}

test("a fresh external cluster: etcd nodes bootstrap, master 0 inits, masters 1-2 come up offline", async () => {
  const { etcd, masters } = await sim.start();
  etcd.forEach((b, i) => {
    bootOk(sim.etcdNodes[i] as NodeSandbox, b);
    expect(b.log).toContain("boot mode: new");
  });
  masters.forEach((b, i) => {
    bootOk(sim.masters[i] as NodeSandbox, b);
  });
  expect(masters[0]?.log).toContain("boot mode: init");
  expect(masters[1]?.log).toContain("boot mode: offline");
  expect(masters[2]?.log).toContain("boot mode: offline");
  // A stateless master never runs an etcd member nor holds the etcd CA key or a member's certificates.
  for (const m of sim.masters) {
    expect(m.etcdRunning()).toBe(false);
    expect(m.read("etc/kubernetes/manifests/etcd.yaml")).toBe("");
    expect(m.read("etc/kubernetes/pki/etcd/ca.key")).toBe("");
    expect(m.read("etc/kubernetes/pki/etcd/peer.crt")).toBe("");
    expect(m.read("etc/kubernetes/manifests/kube-apiserver.yaml")).toContain(
      `--etcd-servers=${sim.endpoints()}`,
    );
  }
  const members = sim.members();
  expect(members).toHaveLength(3);
  for (let i = 0; i < 3; i++) {
    const row = members.find((r) => r.peerUrl === `https://${sim.etcdAddress(i)}:2380`);
    expect(row).toMatchObject({ status: "started", name: `dev-etcd-${i}`, isLearner: false });
  }
  expect(await everyApiReady(sim.masters)).toEqual([200, 200, 200]);
  // The load balancer's health: boot succeeded and the API server runs (no etcd "pod").
  for (const m of sim.masters) expect(sim.cluster.aws.targetHealthy?.(m.instanceId)).toBe(true);
  sim.putKeys(KEYS);
  keysBefore = sim.keys();
  expect(keysBefore).toHaveLength(2 * KEYS);
}, 300_000);

test("an etcd node replaced with its volume: same member id and peer URL, no membership change", async () => {
  const before = byName(sim.members());
  const [boot] = await sim.replaceEtcd([1]);
  bootOk(sim.etcdNodes[1] as NodeSandbox, boot as { code: number; log: string });
  expect(boot?.log).toContain("boot mode: rejoin");
  expect(boot?.log).not.toMatch(/removing it|as a learner|promoted/);
  expect(byName(sim.members())).toEqual(before);
  expect(sim.keys()).toEqual(keysBefore);
}, 300_000);

test("an etcd node with a blank volume: stale member removed, added as a learner, promoted", async () => {
  const before = sim.members().find((r) => r.name === "dev-etcd-2");
  const [boot] = await sim.replaceEtcd([2], true);
  bootOk(sim.etcdNodes[2] as NodeSandbox, boot as { code: number; log: string });
  expect(boot?.log).toContain("boot mode: join");
  expect(boot?.log).toMatch(/predecessor, its data gone: removing it/);
  expect(boot?.log).toMatch(/as a learner/);
  expect(boot?.log).toMatch(/caught up and was promoted to a voting member/);
  const after = sim.members();
  const row = after.find((r) => r.name === "dev-etcd-2");
  expect(row?.id).not.toBe(before?.id);
  expect(row?.peerUrl).toBe(before?.peerUrl);
  expect(voters(after)).toHaveLength(3);
  expect(after).toHaveLength(3);
  expect(sim.keys()).toEqual(keysBefore);
}, 300_000);

test("every master replaced at once while etcd is untouched: offline boots, etcd unchanged, one leader", async () => {
  const members = byName(sim.members());
  const boots = await sim.replaceMasters([0, 1, 2]);
  boots.forEach((b, i) => {
    bootOk(sim.masters[i] as NodeSandbox, b);
    expect(b.log).toContain("boot mode: offline");
    expect(b.log).not.toContain("boot mode: init");
  });
  expect(byName(sim.members())).toEqual(members);
  expect(sim.keys()).toEqual(keysBefore);
  expect(await everyApiReady(sim.masters)).toEqual([200, 200, 200]);
  // Each replacement deleted its predecessor's Node: the control plane is the three new masters.
  const nodes = JSON.parse(readFileSync(join(sim.cluster.dir, "api/nodes.json"), "utf8")) as {
    name: string;
    controlPlane: boolean;
  }[];
  expect(
    nodes
      .filter((n) => n.controlPlane)
      .map((n) => n.name)
      .sort(),
  ).toEqual(sim.masters.map((m) => `ip-${m.o.ip.replaceAll(".", "-")}.eu-west-1.compute.internal`).sort());
  // The leader-only timers: exactly one master holds the controller manager's Lease and acts.
  const runs = await Promise.all(sim.masters.map((m) => sim.runService(m, "k8sha-worker-drain.service")));
  for (const r of runs) expect(r.code).toBe(0);
  const followers = runs.filter((r) => r.stderr.includes("is not the kube-controller-manager leader"));
  const leaders = runs.filter((r) => r.stderr.includes("no worker is waiting to terminate"));
  expect(followers).toHaveLength(2);
  expect(leaders).toHaveLength(1);
}, 300_000);
