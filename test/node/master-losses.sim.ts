/**
 * The losses of the whole-cluster simulation that `npm test` leaves to `npm run simulate --
 * --scenarios` (slower): on a fresh dev control plane (three masters, as in cluster-boot.test.ts,
 * which keeps the fresh boot and two of three masters lost at once), master 1's instance lost
 * three times in a row (each replacement takes over the stable address and comes back as the same
 * member, offline); all three at once; one volume; then master 2 rebooted without its volume
 * mounted. After each, etcd must have three started, voting members at the stable addresses and
 * every key written before the fault. Every node boots from its launch template's rendered
 * user-data with only the Ubuntu 24.04 AMI's commands plus what the boot installs on PATH
 * (test/support/sandbox/node.ts says what is real and what is stubbed).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NodeSandbox } from "../support/sandbox/node";
import { simulationSuite } from "../support/sandbox/suite";

const current = simulationSuite(3);
const master = (i: number) => current().masters[i] as NodeSandbox;

test("master 1 is lost three times in a row: each replacement is the same member at the same address", async () => {
  const sim = current();
  const id = /member_id=([0-9a-f]+)/.exec(master(1).readMounted("/var/lib/etcd-volume/k8sha-identity"))?.[1];
  for (let round = 0; round < 3; round++) {
    sim.putKeys();
    const [r] = await sim.replace([1]);
    const m1 = master(1);
    expect(r?.code).toBe(0);
    expect(r?.log).toContain("boot mode: rejoin");
    // Neither a member update nor any other member was needed to come back.
    expect(r?.log).not.toContain("updating etcd member");
    expect(r?.log).toContain("k8sha[etcd-membership]: begin");
    expect(m1.readMounted("/var/lib/etcd-volume/k8sha-identity")).toContain(`member_id=${id}\n`);
    const members = sim.etcdctl(["member", "list", "-w", "simple"]).trim().split("\n");
    expect(members.find((m) => m.includes(`https://${m1.o.ownAddress}:2380`))).toMatch(
      new RegExp(`^${id}, started, `),
    );
    if (round > 0) continue;
    // Offline kubeadm phases: the node never holds a bootstrap kubeconfig with the token.
    expect(existsSync(join(m1.root, "etc/kubernetes/bootstrap-kubelet.conf"))).toBe(false);
    // Like a join, no break-glass super-admin credential on a replacement master.
    expect(existsSync(join(m1.root, "etc/kubernetes/super-admin.conf"))).toBe(false);
    expect(existsSync(join(m1.root, "etc/kubernetes/admin.conf"))).toBe(true);
    // kubelet-finalize: kubelet.conf follows the rotated certificate, not the embedded one-year one.
    expect(m1.read("etc/kubernetes/kubelet.conf")).toContain(
      "client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem",
    );
    expect(readFileSync(join(m1.o.dir, "kubeadm.log"), "utf8")).not.toMatch(/^kubeadm join /m);
    // What kubelet-wait-bootstrap does after a join: the Node carries its CRI socket.
    const apiNodes = JSON.parse(readFileSync(join(sim.cluster.dir, "api/nodes.json"), "utf8")) as {
      ip: string;
      annotations?: Record<string, string>;
    }[];
    // The predecessor's Node had the same (stable) address: deleted although it looked Ready.
    const atAddress = apiNodes.filter((n) => n.ip === m1.o.ownAddress);
    expect(atAddress).toHaveLength(1);
    expect(atAddress[0]?.annotations?.["kubeadm.alpha.kubernetes.io/cri-socket"]).toBe(
      "unix:///run/containerd/containerd.sock",
    );
  }
}, 420_000);

test("all masters lost at once (volumes kept): the cluster comes back by itself", async () => {
  const sim = current();
  const boots = await sim.replace([0, 1, 2]);
  for (const b of boots) {
    expect(b.code).toBe(0);
    expect(b.log).toContain("boot mode: rejoin");
  }
  // Nobody answered the membership check: each started its member without asking.
  expect(boots.some((b) => b.log.includes("no other etcd member answers"))).toBe(true);
  sim.putKeys();
}, 420_000);

test("one volume lost: the blank replacement removes its zone's stale member and joins anew", async () => {
  const sim = current();
  const [b] = await sim.replace([2], "volume");
  expect(b?.code).toBe(0);
  expect(b?.log).toContain("boot mode: join");
  expect(b?.log).toMatch(/removing stale etcd member [0-9a-f]+ through /);
  sim.putKeys();
}, 420_000);

test("master 2 reboots and its etcd volume is not mounted: no etcd starts on the root disk", async () => {
  const m2 = master(2);
  m2.stop();
  // A fresh mount namespace is a boot in which nothing mounted the volume; systemd then starts
  // the (enabled) kubelet, which runs the static pods.
  const r = await m2.boot([["systemctl", "start", "kubelet"]]);
  expect(r.code).toBe(0);
  const kubelet = readFileSync(join(m2.o.dir, "kubelet.log"), "utf8");
  expect(kubelet).toContain(
    'MountVolume.SetUp failed for volume "etcd-data": hostPath type check failed: /var/lib/etcd-volume/data is not a directory',
  );
  expect(existsSync(join(m2.o.dir, "pods/etcd.pid"))).toBe(false);
  expect(existsSync(join(m2.root, "var/lib/etcd-volume/data"))).toBe(false);
}, 60_000);
