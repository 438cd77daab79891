/**
 * The REAL cloud-init/master-boot.sh run from a given step on (the bench: test/support/masterBoot.ts).
 *
 * What it proves: the stale-Node clean-up runs after a join or rejoin, never after init; what an
 * earlier, cut-off run left is dealt with instead of taken for success (kubeadm state reset, a
 * member's set-aside finished); a rejoin from before stable addresses reaches the members that
 * have not moved yet. The values a step needs are master-boot-entry.test.ts.
 */
import { boot, MY_IP, removeBootDirs } from "../support/masterBoot";

afterAll(removeBootDirs);

const STALE_NODES_CALL = "get nodes -l node-role.kubernetes.io/control-plane";

test("init: no stale-node clean-up (a new cluster has no predecessor)", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki", "cni", "etcd-identity"], tokenInSsm: true });
  expect(r.code).toBe(0);
  expect(r.read("kubectl.log")).toBe("");
  expect(r.stepDone("stale-nodes")).toBe(false);
});

test.each([
  ["join", ["join-config", "local-config", "etcd-stale-member", "kubeadm-join"]],
  ["rejoin", ["local-config", "etcd-peer-url-migrate", "kubeadm-rejoin", "mark-control-plane"]],
] as const)(
  "%s: once the node has joined, the stale-node clean-up runs with my subnet and name",
  async (mode, steps) => {
    const done = ["prereqs", "pki", ...steps, "etcd-identity"];
    const r = await boot({ mode, done });
    expect(r.stderr).toContain("no stale control-plane node in 10.0.1.0/24");
    expect(r.code).toBe(0);
    expect(r.read("kubectl.log")).toContain(STALE_NODES_CALL);
    expect(r.stderr).not.toContain("FATAL");
    expect(r.stepDone("stale-nodes")).toBe(true);
  },
);

test("init: kubelet.conf left by a failed kubeadm init is reset (CAs fetched again), never taken for success", async () => {
  const r = await boot({
    mode: "init",
    done: ["prereqs", "pki", "cni", "etcd-identity"],
    tokenInSsm: true,
    leftOver: ["kubelet.conf"],
  });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("an earlier kubeadm run left state behind without finishing");
  const calls = r.read("kubeadm.log").split("\n");
  const reset = calls.findIndex((c) => c.startsWith("reset --force"));
  expect(reset).toBeGreaterThanOrEqual(0);
  expect(calls.findIndex((c) => c.startsWith("init --config"))).toBeGreaterThan(reset);
  expect(r.read("aws.log")).toMatch(/^ssm get-parameters --names \/k8sha\/prod\/pki\/ca\.crt /m);
  expect(r.read("pki/ca.key")).toBe("-----BEGIN X-----\n");
});

test("init: without left-over state kubeadm init runs directly, no reset", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki", "cni", "etcd-identity"], tokenInSsm: true });
  expect(r.code).toBe(0);
  expect(r.read("kubeadm.log")).not.toContain("reset");
});

test("rejoin of a volume from before stable addresses reaches the members that have not moved yet at their instance addresses", async () => {
  // The other master still listens only on its instance address; its stable one is held by nobody.
  const r = await boot({
    mode: "rejoin",
    done: ["prereqs", "pki", "local-config"],
    members: [MY_IP, "10.0.16.21"],
    masters: [MY_IP, "10.0.2.10"],
    deadEndpoints: ["10.0.16.21"],
  });
  expect(r.stderr).toMatch(
    /etcdctl member at https:\/\/10\.0\.16\.21:2379 failed: Error: dial tcp .*connection refused/,
  );
  expect(r.read("aws.log")).toContain("ec2 describe-instances");
  expect(r.read("etcdctl.log")).toContain("--endpoints=https://10.0.2.10:2379");
});

test("a set-aside of a removed member cut off by a reboot is finished, then the node joins", async () => {
  const r = await boot({
    mode: "rejoin",
    done: [
      "prereqs",
      "pki",
      "local-config",
      "join-config",
      "etcd-stale-member",
      "kubeadm-join",
      "etcd-identity",
    ],
    setAsideBegun: "removed-20261201T000000Z",
  });
  expect(r.stderr).toContain("moving its data and identity to");
  expect(r.read("state/boot-mode")).toBe("join\n");
  expect(r.read("volume/removed-20261201T000000Z/k8sha-identity")).toContain("member_id=8e9e05c52164694d");
  expect(r.read("volume/k8sha-identity")).toBe("");
  expect(r.read("state/set-aside")).toBe("");
  expect(r.code).toBe(0);
});
