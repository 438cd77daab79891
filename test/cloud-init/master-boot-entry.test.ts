/**
 * The REAL cloud-init/master-boot.sh run from a given step on (the bench: test/support/masterBoot.ts).
 *
 * What it proves: a value the entry script needs from a command substitution (bootstrap token,
 * discovery hash, healthy etcd peer) fails its step when it cannot be obtained, instead of
 * being passed on empty (kubeadm init inventing its own token, etcdctl against ""); when it
 * can, it lands where it belongs (the token in the InitConfiguration, the hash in the join's).
 * What the boot cleans up or finishes is master-boot-entry-recovery.test.ts.
 */
import { addonsParameterName } from "../../base/ssmPaths";
import { boot, MY_IP, removeBootDirs, TOKEN } from "../support/masterBoot";

afterAll(removeBootDirs);

test("init: the token from SSM goes into the InitConfiguration and the boot succeeds", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki", "cni", "etcd-identity"], tokenInSsm: true });
  expect(r.stderr).toContain("boot finished successfully");
  expect(r.code).toBe(0);
  expect(r.read("kubeadm/init.yaml")).toContain(`token: "${TOKEN}"`);
  expect(r.read("kubeadm/init.yaml")).toContain('value: "aws:///eu-west-1a/i-0123456789abcdef0"');
  expect(r.read("kubeadm.log")).toContain("init --config");
  // The add-on apply right after the CNI does not fail the boot (here etcd cannot say who leads).
  expect(r.stderr).toContain("the add-ons are not applied yet; the add-on timer tries again every minute");
  expect(r.read("systemd/k8sha-addons.timer")).toContain("OnUnitActiveSec=60s");
  expect(r.read("addons.env")).toContain(`ADDONS_PARAMETER='${addonsParameterName("prod")}'`);
  // The health timer's env file is the node's too (it once went to the host's /etc/k8sha).
  expect(r.read("node-health.env")).toContain("K8SHA_HEALTH_CLUSTER='prod'");
});

test("init: an unreadable token fails the step; kubeadm init never runs without it", async () => {
  const r = await boot({ mode: "init", done: ["prereqs", "pki"] });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot read the bootstrap token from SSM");
  expect(r.stepDone("init-config")).toBe(false);
  expect(r.read("kubeadm.log")).toBe("");
  expect(r.read("state/boot-failed")).toMatch(/^step=init-config exit=1 /);
});

test("join: a CA whose discovery hash cannot be computed fails the step, no join.yaml marked done", async () => {
  const r = await boot({ mode: "join", done: ["prereqs", "pki"], tokenInSsm: true, caCert: false });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot compute the discovery hash");
  expect(r.stepDone("join-config")).toBe(false);
});

test("join: the JoinConfiguration carries the token and the CA's discovery hash", async () => {
  const r = await boot({
    mode: "join",
    done: ["prereqs", "pki"],
    tokenInSsm: true,
    caCert: true,
    masters: [MY_IP],
  });
  expect(r.stepDone("join-config")).toBe(true);
  expect(r.read("kubeadm/join.yaml")).toMatch(/caCertHashes:\n {6}- "sha256:[0-9a-f]{64}"/);
});

test("join: with no other master, the stale-member step fails before any etcdctl call", async () => {
  const done = ["prereqs", "pki", "join-config", "local-config"];
  const r = await boot({ mode: "join", done, masters: [MY_IP] });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("no other master to reach etcd through");
  expect(r.read("etcdctl.log")).toBe("");
  expect(r.stepDone("etcd-stale-member")).toBe(false);
  expect(r.read("kubeadm.log")).toBe("");
});

test("rejoin of a volume from before stable addresses: with no other master, the URL move fails before any etcdctl call", async () => {
  const r = await boot({ mode: "rejoin", done: ["prereqs", "pki", "local-config"] });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("no other master to reach etcd through");
  expect(r.read("etcdctl.log")).toBe("");
  expect(r.stepDone("etcd-peer-url-migrate")).toBe(false);
  expect(r.read("state/boot-mode")).toBe("rejoin\n");
});
