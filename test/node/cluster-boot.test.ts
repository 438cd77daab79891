/**
 * Node sandbox, the whole control plane of the real dev stack: its three masters and a worker
 * boot at the same moment; master 0 inits, masters 1 and 2 join one at a time, the worker joins;
 * then master 1's instance is lost and its replacement rejoins with the same volume, and master 2
 * reboots without its volume mounted. Every node boots from its launch
 * template's rendered user-data with only the Ubuntu 24.04 AMI's commands plus what the boot
 * installs on PATH (test/node/sandbox/node.ts says what is real and what is stubbed).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ETCDCTL_BIN } from "../support/etcdProcess";
import { SandboxCluster } from "./sandbox/cluster";
import type { BootResult, NodeSandbox } from "./sandbox/node";

let cluster: SandboxCluster;
const masters: NodeSandbox[] = [];
const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

beforeAll(async () => {
  cluster = await SandboxCluster.create("dev");
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

function launchMaster(i: number, generation = 0): Promise<NodeSandbox> {
  return cluster.launch({
    name: `cp-${i}`,
    template: cluster.template(`dev-cp-${i}-lt`),
    zone: zones[i] ?? "",
    subnet: i + 1,
    generation,
  });
}

/** etcdctl against the cluster from outside, with the cluster's etcd CA. */
function etcdctl(node: NodeSandbox, ...args: string[]): string {
  const pki = join(node.root, "etc/kubernetes/pki");
  return execFileSync(
    ETCDCTL_BIN,
    [
      `--endpoints=https://${node.o.ip}:2379`,
      `--cacert=${pki}/etcd/ca.crt`,
      `--cert=${pki}/etcd/healthcheck-client.crt`,
      `--key=${pki}/etcd/healthcheck-client.key`,
      ...args,
    ],
    { env: { ETCDCTL_API: "3" }, encoding: "utf8" },
  );
}

const stamp = (line: string) => Date.parse(line.slice(0, 20));
/** When the boot held the control-plane join lock, from its own log lines. */
function lockWindow(log: string): [number, number] {
  const lines = log.split("\n");
  const held = lines.find((l) => l.includes("holding the etcd lock k8sha/control-plane-join")) ?? "";
  const released = lines.find((l) => l.includes("released the etcd lock k8sha/control-plane-join")) ?? "";
  return [stamp(held), stamp(released)];
}

/** A fresh cluster comes up the way `pulumi up` starts it: every ASG launches at once. */
let boots: Promise<BootResult[]>;
beforeAll(async () => {
  const nodes = await Promise.all([
    launchMaster(0),
    launchMaster(1),
    launchMaster(2),
    cluster.launch({
      name: "worker",
      template: cluster.template("dev-general-lt"),
      zone: "eu-west-1a",
      subnet: 1,
      generation: 50,
    }),
  ]);
  masters.push(...nodes.slice(0, 3));
  worker = nodes[3] as NodeSandbox;
  boots = Promise.all(nodes.map((n) => n.boot()));
  await boots;
}, 200_000);
let worker: NodeSandbox;

test("master 0 inits, with etcdctl copied out of the etcd image before its first etcd step", async () => {
  const [r] = await boots;
  const m0 = masters[0] as NodeSandbox;
  expect(r?.log).not.toContain("command not found");
  expect(r?.code).toBe(0);
  expect(r?.log).toContain("boot mode: init");
  expect(m0.read("var/lib/k8sha/boot-succeeded")).not.toBe("");
  expect(m0.read("opt/k8sha/etcd/image")).toBe("registry.k8s.io/etcd:3.6.5-0\n");
  // Identity right after kubeadm init, before the initialised marker and the CNI.
  const steps = (r?.log ?? "")
    .split("\n")
    .filter((l) => / k8sha\[[a-z-]+\]: begin$/.test(l))
    .map((l) => /\[([a-z-]+)\]/.exec(l)?.[1]);
  expect(steps.indexOf("etcd-tools")).toBeLessThan(steps.indexOf("kubeadm-init"));
  expect(steps.indexOf("etcd-identity")).toBe(steps.indexOf("kubeadm-init") + 1);
  expect(m0.readMounted("/var/lib/etcd-volume/k8sha-identity")).toMatch(
    /^cluster=dev\nmember_id=[0-9a-f]+\n/,
  );
  // kubeadm 1.34's pause image, not containerd's own default.
  expect(m0.read("etc/containerd/config.toml")).toContain("sandbox = 'registry.k8s.io/pause:3.10.1'");
  expect(m0.read("etc/systemd/system/kubelet.service.d/20-k8sha-etcd-volume.conf")).toContain(
    "RequiresMountsFor=/var/lib/etcd-volume",
  );
  const pod = parse(m0.read("etc/kubernetes/manifests/etcd.yaml")) as {
    spec: { volumes: { name: string; hostPath: { path: string; type: string } }[] };
  };
  expect(pod.spec.volumes.find((v) => v.name === "etcd-data")?.hostPath).toEqual({
    path: "/var/lib/etcd-volume/data",
    type: "Directory",
  });
});

test("masters 1 and 2 wait for the init, then join one at a time through the etcd lock", async () => {
  const [, r1, r2] = await boots;
  const [m1, m2] = [masters[1], masters[2]] as [NodeSandbox, NodeSandbox];
  expect(r1?.code).toBe(0);
  expect(r2?.code).toBe(0);
  const [a, b] = [lockWindow(r1?.log ?? ""), lockWindow(r2?.log ?? "")];
  for (const t of [...a, ...b]) expect(Number.isNaN(t)).toBe(false);
  // One window ends before the other begins (the log has second resolution: equal is allowed).
  expect(a[1] <= b[0] || b[1] <= a[0]).toBe(true);
  const members = etcdctl(m1, "member", "list", "-w", "simple").trim().split("\n");
  expect(members).toHaveLength(3);
  expect(members.every((m) => m.split(", ")[1] === "started" && m.endsWith(", false"))).toBe(true);
  for (const m of [m1, m2])
    expect(m.readMounted("/var/lib/etcd-volume/k8sha-identity")).toMatch(/^cluster=dev\n/);
  etcdctl(m1, "put", "before/fault", "kept");
});

test("the worker waits for the API load balancer and joins", async () => {
  const [, , , r] = await boots;
  expect(r?.code).toBe(0);
  expect(worker.read("etc/kubernetes/kubelet.conf")).not.toBe("");
});

test("master 1's instance is lost; its replacement rejoins with the same volume and every key", async () => {
  const old = masters[1] as NodeSandbox;
  old.stop();
  cluster.aws.terminate(old.instanceId);
  const m1 = await launchMaster(1, 1);
  const r = await m1.boot();
  expect(r.code).toBe(0);
  expect(r.log).toContain("boot mode: rejoin");
  expect(r.log).toContain("updating etcd member");
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
  const apiNodes = JSON.parse(readFileSync(join(cluster.dir, "api/nodes.json"), "utf8")) as {
    ip: string;
    annotations?: Record<string, string>;
  }[];
  expect(
    apiNodes.find((n) => n.ip === m1.o.ip)?.annotations?.["kubeadm.alpha.kubernetes.io/cri-socket"],
  ).toBe("unix:///run/containerd/containerd.sock");
  const members = etcdctl(m1, "member", "list", "-w", "simple").trim().split("\n");
  expect(members).toHaveLength(3);
  expect(members.some((m) => m.includes(`https://${m1.o.ip}:2380`))).toBe(true);
  expect(etcdctl(m1, "get", "before/fault", "--print-value-only").trim()).toBe("kept");
}, 150_000);

test("master 2 reboots and its etcd volume is not mounted: no etcd starts on the root disk", async () => {
  const m2 = masters[2] as NodeSandbox;
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
