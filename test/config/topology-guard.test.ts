/**
 * The topology guard: `etcd.topology` can never change on a live cluster (config/topologyChange.ts
 * says why). The real program under mocks, with the account's SSM parameters mocked as the
 * provider answers them (found, or "couldn't find resource"): refused before a resource exists
 * when the deployed topology differs, built when it is the same or the cluster is new. A cluster
 * with a Kubernetes version parameter but no topology parameter predates it and is stacked.
 */

import { parseConfig } from "../../config/stack";
import { checkTopologyChange, TopologyChangeError, topologyChangeProblem } from "../../config/topologyChange";
import { readStackConfig, synthesize } from "../../synth/mockRuntime";

const external = { etcd: { topology: "external" } };
/** The version dev deploys: the guard of the Kubernetes version passes, only the topology's acts. */
const deployedVersion = parseConfig(readStackConfig("dev")).kubernetesVersion;
const SOURCE =
  "SSM parameters /k8sha/dev/control-plane/etcd-topology and /k8sha/dev/control-plane/kubernetes-version";

test("the rule: a new cluster or the same topology passes; any change is refused, naming both and the source", () => {
  expect(topologyChangeProblem({ deployed: undefined, requested: "external", source: "x" })).toBeUndefined();
  expect(topologyChangeProblem({ deployed: "stacked", requested: "stacked", source: "x" })).toBeUndefined();
  expect(() =>
    checkTopologyChange({ deployed: "external", requested: "stacked", source: "the parameter" }),
  ).toThrow(TopologyChangeError);
  expect(topologyChangeProblem({ deployed: "external", requested: "stacked", source: "the parameter" })).toBe(
    "etcd.topology stacked cannot be deployed over external (the cluster's topology, read from the parameter): " +
      "etcd's data would stay where it is and the API servers would start on an empty etcd. " +
      "Keep etcd.topology external, or move by restoring a snapshot onto a new cluster (docs/topologies.md)",
  );
});

test("a stacked cluster (its topology parameter says so) refuses external", async () => {
  await expect(
    synthesize("dev", external, undefined, {
      deployedEtcdTopology: "stacked",
      deployedKubernetesVersion: deployedVersion,
    }),
  ).rejects.toThrow(
    `etcd.topology external cannot be deployed over stacked (the cluster's topology, read from ${SOURCE})`,
  );
});

test("a cluster from before the topology parameter (only its version parameter) is stacked, and refuses external", async () => {
  await expect(
    synthesize("dev", external, undefined, { deployedKubernetesVersion: deployedVersion }),
  ).rejects.toThrow(/etcd\.topology external cannot be deployed over stacked/);
});

test("an external cluster refuses stacked, and builds external again", async () => {
  const account = { deployedEtcdTopology: "external", deployedKubernetesVersion: deployedVersion };
  await expect(synthesize("dev", {}, undefined, account)).rejects.toThrow(
    /etcd\.topology stacked cannot be deployed over external/,
  );
  const again = await synthesize("dev", external, undefined, account);
  expect(again.resources.filter((r) => r.type === "k8sha:etcd:EtcdNode")).toHaveLength(3);
});

test("an unreadable topology value is an error naming the parameter, not a pass", async () => {
  await expect(
    synthesize("dev", {}, undefined, {
      deployedEtcdTopology: "stackd",
      deployedKubernetesVersion: deployedVersion,
    }),
  ).rejects.toThrow(
    'could not read the deployed etcd topology from SSM parameter /k8sha/dev/control-plane/etcd-topology: SSM parameter /k8sha/dev/control-plane/etcd-topology holds "stackd", not one of stacked, external',
  );
});

test("the program writes the topology it deployed, for the next run to read", async () => {
  const built = await synthesize("dev", external);
  const parameter = built.resources.find(
    (r) =>
      r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === "/k8sha/dev/control-plane/etcd-topology",
  );
  expect(parameter?.inputs.insecureValue).toBe("external");
  expect(parameter?.inputs.type).toBe("String");
});
