/**
 * The node sandbox boots one master of the dev stack (one master, allowNonHa; the AWS cloud
 * controller is on by default) from its real launch template: the kubelet flags kubeadm hands the
 * kubelet (the fake kubeadm writes /var/lib/kubelet/kubeadm-flags.env from the config it is given,
 * and refuses an external cloud provider without a well-formed provider ID) carry
 * `--cloud-provider=external` and the provider ID the boot read from the node's IMDS. Its one add-on
 * apply after the CNI runs against the graph's own pointer parameter and manifest object.
 */
import { SandboxCluster } from "../support/sandbox/cluster";

let cluster: SandboxCluster;
beforeAll(async () => {
  cluster = await SandboxCluster.create("dev", {
    masters: { count: 1, allowNonHa: true, instanceType: "t3.medium" },
  });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

test("the kubelet runs with the external cloud provider and aws:///<IMDS zone>/<IMDS instance id>", async () => {
  const zone = "eu-west-1a";
  const master = await cluster.launch({
    name: "cp-0",
    template: cluster.template("dev-cp-0-lt"),
    zone,
    generation: 0,
  });
  const r = await master.boot();
  expect(r.code).toBe(0);
  expect(master.instanceId).toMatch(/^i-[0-9a-f]+$/);
  const providerId = `aws:///${zone}/${master.instanceId}`;
  const flags = master.read("var/lib/kubelet/kubeadm-flags.env");
  expect(flags).toContain("--cloud-provider=external");
  expect(flags).toMatch(new RegExp(`--provider-id=${providerId}[\\s"]`));
  // The same value in every kubeadm config the boot filled (init, and the offline phases' one).
  for (const file of ["etc/k8sha/kubeadm/init.yaml", "etc/k8sha/kubeadm/local.yaml"])
    expect(master.read(file)).toContain(`value: "${providerId}"`);
  expect(r.log).toContain(`provider-id=${providerId}`);
  // The init master's one add-on apply, from the graph's own pointer and manifest object.
  expect(r.log).toMatch(/add-on manifest [0-9a-f]{64} applied and recorded/);
}, 420_000);
