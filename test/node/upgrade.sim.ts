/**
 * The whole-cluster simulation (`npm run simulate -- --scenarios`) of the dev stack's three
 * masters upgraded by config: raising
 * `kubernetesVersion` by one minor changes only the version in the masters' templates, so each
 * roll gate upgrades its master in place, one at a time (`kubeadm upgrade apply` on the first,
 * `kubeadm upgrade node` on the others, then kubelet), with the boot's kubeadm patches kept.
 *
 * Real: etcd 3.4 members (standing in for the etcd image), the gates and the node-side CLI, the
 * apt source of the new minor and its key from the test "internet". Stubbed (kube.js and
 * kube-upgrade.js say what they model from kubeadm's source): kubeadm's upgrade phases, apt's
 * packages, kubelet. What only AWS shows: docs/rolling.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { ConfigOverrides } from "../../synth/mockRuntime";
import { backupNow, outcomes, roll, takeOutStepPositions } from "../support/sandbox/rolling";
import { simulationSuite } from "../support/sandbox/suite";

const current = simulationSuite(3);

test("raising kubernetesVersion one minor upgrades the masters in place, one at a time, apply first", async () => {
  const sim = current();
  await backupNow(sim);
  const before = sim.masters.map((m) => m.instanceId);
  const config: ConfigOverrides = { ...sim.cluster.config, kubernetesVersion: "1.35.0" };
  const report = await roll(sim, config);
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  // No instance was replaced: only the version differed.
  expect(sim.masters.map((m) => m.instanceId)).toEqual(before);
  expect(sim.cluster.aws.calls).not.toContain("autoscaling.TerminateInstanceInAutoScalingGroup");
  const [first, ...others] = report.gates.map((g) => g.output);
  expect(first).toContain("kubeadm upgrade apply v1.35.0 --yes");
  for (const out of others) {
    expect(out).toContain("kubeadm upgrade node");
    expect(out).not.toContain("kubeadm upgrade apply");
  }
  for (const [i, g] of report.gates.entries()) {
    const out = g.output;
    // Taken out of service before the upgrade, back after it.
    const at = takeOutStepPositions(out, "upgrade");
    for (const x of at) expect(x).toBeGreaterThanOrEqual(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(out).toContain("--patches /etc/k8sha/kubeadm/patches");
    expect(out).toContain("upgraded in place to 1.35.0");
    const m = sim.masters[i];
    if (!m) throw new Error(`no master ${i}`);
    expect(sim.cluster.aws.instances.get(m.instanceId)?.tags["k8sha.io/kubernetes-version"]).toBe("1.35.0");
    // The node's packages and the etcd manifest: the patch kept the data dir a Directory on the volume.
    // What the apt-get stub installed (kubeadm, kubelet and kubectl at the new version).
    expect(readFileSync(join(m.o.dir, "kubernetes-version"), "utf8").trim()).toBe("1.35.0");
    const pod = parse(m.read("etc/kubernetes/manifests/etcd.yaml")) as {
      spec: { volumes: { name: string; hostPath: { path: string; type: string } }[] };
    };
    expect(pod.spec.volumes.find((v) => v.name === "etcd-data")?.hostPath).toEqual({
      path: "/var/lib/etcd-volume/data",
      type: "Directory",
    });
  }
  const events = sim.cluster.aws.targetGroup.events;
  for (const id of before)
    expect(events.lastIndexOf(`register ${id}`)).toBeGreaterThan(events.indexOf(`deregister ${id}`));
  expect(report.minHealthy).toBeGreaterThanOrEqual(2);
  expect(report.lost).toEqual([]);
  expect(report.acked).toBeGreaterThan(20);
  expect(sim.memberProblems()).toEqual([]);
  expect(sim.missingKeys()).toEqual([]);
}, 900_000);
