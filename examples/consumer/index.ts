/**
 * A Pulumi program that reuses k8s-ha-aws as a library. In a real project the import is
 *   import { Cluster, ... } from "k8s-ha-aws";
 * after `npm install git+https://<host>/<owner>/k8s-ha-aws.git#<tag>`; inside this repository
 * it imports the same entry point by path so it is type-checked and tested with the source.
 *
 * What it changes from the defaults: the API load balancer is internal (reachable only from
 * the VPC or a peered network), and there are two worker pools: an on-demand "system" pool
 * tainted for cluster add-ons and a mostly-spot "batch" pool.
 */
import {
  API_PORT,
  BACKUP_DEFAULTS,
  Cluster,
  type ClusterArgs,
  CNI_DEFAULTS,
  CNI_VERSIONS,
  DEFAULT_KUBERNETES_VERSION,
  ETCD_DEFAULTS,
  LEADER_ELECTION_DEFAULTS,
  MASTER_DEFAULTS,
  NETWORK_DEFAULTS,
  WORKER_POOL_DEFAULTS,
  type WorkerPoolConfig,
} from "../../components/index";

const region = "eu-central-1";
const zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"];

const systemPool: WorkerPoolConfig = {
  name: "system",
  instanceTypes: ["m6i.large"],
  minSize: 2,
  maxSize: 3,
  desiredCapacity: 2,
  spotPercentage: 0,
  onDemandBaseCapacity: 2,
  rootVolumeGiB: WORKER_POOL_DEFAULTS.rootVolumeGiB,
  labels: { "example.com/pool": "system" },
  taints: [{ key: "example.com/system", value: "true", effect: "NoSchedule" }],
};

const batchPool: WorkerPoolConfig = {
  name: "batch",
  instanceTypes: ["c6i.xlarge", "c6a.xlarge", "c5.xlarge"],
  minSize: 0,
  maxSize: 10,
  desiredCapacity: 1,
  spotPercentage: 100,
  onDemandBaseCapacity: 0,
  rootVolumeGiB: 100,
  labels: { "example.com/pool": "batch" },
  taints: [],
};

const clusterArgs: ClusterArgs = {
  clusterName: "consumer",
  region,
  availabilityZones: zones,
  kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
  network: {
    vpcCidr: "10.42.0.0/16",
    natGateways: "perAz",
    podCidr: NETWORK_DEFAULTS.podCidr,
    serviceCidr: NETWORK_DEFAULTS.serviceCidr,
  },
  // Internal: only the VPC (always allowed) and this peered office range reach port API_PORT.
  api: { exposure: "internal", allowedCidrs: ["172.20.0.0/16"] },
  masters: { ...MASTER_DEFAULTS },
  etcd: { ...ETCD_DEFAULTS, volume: { ...ETCD_DEFAULTS.volume } },
  workerPools: [systemPool, batchPool],
  leaderElection: { ...LEADER_ELECTION_DEFAULTS },
  backup: { ...BACKUP_DEFAULTS },
  cni: { provider: CNI_DEFAULTS.provider, version: CNI_VERSIONS[CNI_DEFAULTS.provider] },
  // The deployer runs outside the VPC, so it cannot wait for an internal API to become ready.
  readinessGate: { enabled: false, timeoutMinutes: 20 },
  tags: { "example.com/owner": "platform-team" },
};

export = async () => {
  const cluster = new Cluster("consumer", clusterArgs);
  return { ...cluster.outputs, apiPort: API_PORT };
};
