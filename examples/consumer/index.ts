/**
 * A Pulumi program that reuses k8s-ha-aws as a library, imported by its package name as any
 * project does after `npm install git+https://<host>/<owner>/k8s-ha-aws.git#<tag>`. Inside this
 * repository the name maps to the source entry point (tsconfig.json `paths`, jest.config.js
 * `moduleNameMapper`), so the example is type-checked and tested with the source; see README.md.
 *
 * What it changes from the defaults: the API load balancer is internal (reachable only from
 * the VPC or a peered network), and there are two worker pools: an on-demand "system" pool
 * tainted for cluster add-ons and a mostly-spot "batch" pool.
 */
import { API_PORT, Cluster, type ClusterArgs } from "k8s-ha-aws";

const region = "eu-central-1";
const zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"];

// Only what differs from the defaults (config/defaults.ts): everything else, from the
// master count to the etcd volume and the CNI, is filled in and validated by the Cluster.
const clusterArgs: ClusterArgs = {
  clusterName: "consumer",
  region,
  availabilityZones: zones,
  network: { vpcCidr: "10.42.0.0/16" },
  // Internal: only the VPC (always allowed) and this peered office range reach port API_PORT.
  api: { exposure: "internal", allowedCidrs: ["172.20.0.0/16"] },
  workerPools: [
    {
      // On-demand, tainted for cluster add-ons.
      name: "system",
      minSize: 2,
      maxSize: 3,
      desiredCapacity: 2,
      onDemandBaseCapacity: 2,
      labels: { "example.com/pool": "system" },
      taints: [{ key: "example.com/system", value: "true", effect: "NoSchedule" }],
    },
    {
      // All spot, over several instance types so spot has more capacity pools.
      name: "batch",
      instanceTypes: ["c6i.xlarge", "c6a.xlarge", "c5.xlarge"],
      minSize: 0,
      maxSize: 10,
      desiredCapacity: 1,
      spotPercentage: 100,
      rootVolumeGiB: 100,
      labels: { "example.com/pool": "batch" },
    },
  ],
  // The deployer runs outside the VPC, so it cannot wait for an internal API to become ready.
  readinessGate: { enabled: false },
  tags: { "example.com/owner": "platform-team" },
};

export = async () => {
  const cluster = new Cluster("consumer", clusterArgs);
  return { ...cluster.outputs, apiPort: API_PORT };
};
