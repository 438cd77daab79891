/**
 * k8sha-control-plane upgrade on the three-master bench of test/support/controlPlaneSandbox.ts
 * (real etcd members, the node sandbox's stubs, kubeadm's and apt's included): the version
 * guard (one minor at a time, no downgrade), the etcd 3.5 -> 3.6 rule, kubeadm upgrade apply on
 * the first master and upgrade node on the next (with the patches), a no-op when already done,
 * and the kubeadm stub refusing what kubeadm refuses. The tests run in order on one cluster.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { controlPlaneSandbox, lines, M1, M2, M3, PATCHES, read } from "../support/controlPlaneSandbox";
import { runLib } from "../support/fakes/bashLib";

const cpo = controlPlaneSandbox({ clientPort: 25579, peerPort: 25580 });
const { cli, dirOf, logOf, onNode, clusterDir } = cpo;

test("upgrade refuses a jump of two minors and a downgrade, naming both versions, before touching the node", async () => {
  const jump = await cli(M1, "upgrade", "--version", "1.36.0");
  expect(jump.stdout).toMatch(/^FAIL version: .*v1\.34\.2 -> v1\.36\.0.*one minor version at a time$/m);
  expect(jump.code).toBe(1);
  const down = await cli(M1, "upgrade", "--version", "1.33.0");
  expect(down.stdout).toContain(
    "FAIL version: refusing a downgrade: the cluster runs v1.34.2, v1.33.0 was asked for",
  );
  expect([down.code, lines(down.stdout).at(-1)]).toEqual([1, "result: fail"]);
  expect([logOf(M1, "apt"), logOf(M1, "kubeadm")]).toEqual(["", ""]);
});

test("the etcd 3.5 -> 3.6 rule: every 3.5 member at the minimum patch first", async () => {
  const refusals = (...args: string[]) =>
    runLib(["control-plane-upgrade.sh"], 'cpo_etcd_step_refusals "$@"', args);
  const old = await refusals("3.6.5-0", "m1=3.5.26", "m2=3.5.25", "m3=3.6.5", "m4=3.4.23");
  expect([old.code, old.stdout]).toEqual([
    1,
    "member m2 runs etcd 3.5.25; etcd 3.6.5 needs every member at 3.5.26 or later first\n" +
      "member m4 runs etcd 3.4.23; etcd 3.6.5 needs every member at 3.5.26 or later first\n",
  ]);
  expect((await refusals("3.6.5-0", "m1=3.5.26", "m2=3.6.5")).code).toBe(0);
  // No rule below a 3.6 target (a 3.5 patch upgrade).
  expect((await refusals("3.5.26-0", "m1=3.5.24")).code).toBe(0);
  expect((await refusals("3.5.24-0", "m1=3.5.1")).code).toBe(0);
});

test("upgrade: apply on the first master, node on the second (both with the patches), then a no-op", async () => {
  const first = await cli(M1, "upgrade", "--version", "1.35.0");
  expect(first.stdout).toContain(
    "ok version: m1: kubelet v1.34.2, cluster v1.34.2 -> v1.35.0 (kubeadm upgrade apply)",
  );
  // kubeadm 1.35 pins the etcd image 1.34 runs: no etcd step, so no etcd version rule applies.
  expect(first.stdout).toContain(
    "ok etcd-versions: registry.k8s.io/etcd:3.6.5-0 stays: kubeadm v1.35.0 pins the image etcd runs",
  );
  expect(first.stdout).toContain(
    `ok kubeadm-upgrade: kubeadm upgrade apply v1.35.0 --yes --certificate-renewal=true --patches ${PATCHES}`,
  );
  expect(lines(first.stdout).slice(-2)).toEqual([
    "ok kubelet: m1 runs kubelet v1.35.0; its API is ready",
    "result: pass",
  ]);
  expect(first.code).toBe(0);
  expect(logOf(M1, "apt")).toMatch(
    /install .*kubeadm=1\.35\.0-\*\n.*install .*kubelet=1\.35\.0-\* kubectl=1\.35\.0-\*\n/,
  );
  expect(read(join(dirOf(M1), "root/etc/apt/sources.list.d/kubernetes.list"))).toContain(
    "/core:/stable:/v1.35/deb/",
  );
  expect(JSON.parse(read(join(clusterDir, "api/cluster.json"))).clusterConfiguration.kubernetesVersion).toBe(
    "v1.35.0",
  );
  // The patched etcd manifest was kept (same etcd image): the data volume must exist (Directory).
  expect(read(join(dirOf(M1), "root/etc/kubernetes/manifests/etcd.yaml"))).toMatch(
    /path: \/var\/lib\/etcd-volume\/data\n\s+type: Directory\n/,
  );

  const second = await cli(M2, "upgrade", "--version", "1.35.0");
  expect(second.stdout).toContain(
    `ok kubeadm-upgrade: kubeadm upgrade node --certificate-renewal=true --patches ${PATCHES}`,
  );
  expect(second.code).toBe(0);
  expect(logOf(M2, "kubeadm")).toMatch(
    new RegExp(`^kubeadm upgrade node --certificate-renewal=true --patches ${PATCHES}$`, "m"),
  );
  expect(logOf(M2, "kubeadm")).not.toContain("upgrade apply");
  const versions = await cli(M3, "versions");
  expect(lines(versions.stdout).slice(0, 4)).toEqual([
    "node m1 127.0.73.1 v1.35.0",
    "node m2 127.0.73.2 v1.35.0",
    "node m3 127.0.73.3 v1.34.2",
    "cluster v1.35.0",
  ]);

  const before = [logOf(M1, "kubeadm"), logOf(M1, "apt")];
  const again = await cli(M1, "upgrade", "--version", "1.35.0");
  expect(lines(again.stdout)).toEqual([
    "ok upgrade: m1 already runs v1.35.0, as the cluster does: nothing to do",
    "result: pass",
  ]);
  expect([logOf(M1, "kubeadm"), logOf(M1, "apt")]).toEqual(before);
});

test("the kubeadm stub refuses what kubeadm refuses, and rolls an unpatched manifest back without a kubelet", async () => {
  const kubeadm = (...args: string[]) => onNode(M3, ["kubeadm", ...args]);
  expect((await kubeadm("upgrade", "apply", "v1.37.0", "--yes")).stderr).toContain(
    '"v1.37.0" is too high; kubeadm can upgrade only 1 minor version',
  );
  expect((await kubeadm("upgrade", "apply", "v1.35.0", "--yes")).stderr).toContain(
    "at least one minor release higher than the kubeadm minor release (35 > 34)",
  );
  const manifest = join(dirOf(M3), "root/etc/kubernetes/manifests/etcd.yaml");
  const patched = read(manifest);
  writeFileSync(join(dirOf(M3), "units-active"), "containerd.service\n");
  const unpatched = await kubeadm("upgrade", "node");
  expect(unpatched.code).not.toBe(0);
  expect(unpatched.stderr).toContain("static Pod hash for component etcd did not change");
  writeFileSync(join(dirOf(M3), "units-active"), "containerd.service\nkubelet.service\n");
  expect(read(manifest)).toBe(patched);
});
