/**
 * Bad inputs for etcd, worker pools, operations, add-ons and tags: each refused with the key,
 * the bad value and the allowed range or set, and with no other problem.
 */
import type { ConfigOverrides } from "../../synth/mockRuntime";
import { expectSingleProblem, type RefusalCase } from "../support/configRefusal";

const volume = (patch: Record<string, unknown>): ConfigOverrides => ({
  etcd: { volume: { type: "gp3", sizeGiB: 100, iops: 3000, throughputMiBps: 125, ...patch } },
});
const pool = (patch: Record<string, unknown>): ConfigOverrides => ({
  workerPools: [
    { name: "general", instanceTypes: ["t3.medium"], minSize: 1, desiredCapacity: 2, maxSize: 3, ...patch },
  ],
});
const manyTags = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`team-${i}`, "x"]));

const cases: RefusalCase[] = [
  [
    "gp2 etcd volume",
    volume({ type: "gp2" }),
    /k8s-ha:etcd\.volume\.type: "gp2" is invalid: must be one of gp3, io1, io2 \(gp2 is refused: .*burst credits/,
  ],
  [
    "gp3 beyond 80,000 IOPS",
    volume({ sizeGiB: 500, iops: 90000 }),
    /k8s-ha:etcd\.volume\.iops: 90000 is invalid: 3000-80000 IOPS for gp3 of 500 GiB/,
  ],
  [
    "gp3 IOPS over 500 per GiB",
    volume({ sizeGiB: 20, iops: 12000 }),
    /k8s-ha:etcd\.volume\.iops: 12000 is invalid: 3000-10000 IOPS for gp3 of 20 GiB \(at most 500 IOPS per GiB/,
  ],
  [
    "gp3 beyond 2,000 MiB/s",
    volume({ iops: 16000, throughputMiBps: 2500 }),
    /k8s-ha:etcd\.volume\.throughputMiBps: 2500 is invalid: 125-2000 MiB\/s/,
  ],
  [
    "gp3 throughput over 0.25 MiB/s per IOPS",
    volume({ throughputMiBps: 1000 }),
    /k8s-ha:etcd\.volume\.throughputMiBps: 1000 is invalid: 125-750 MiB\/s for gp3 with 3000 IOPS \(at most 0.25 MiB\/s per IOPS/,
  ],
  [
    "gp3 over 64 TiB",
    volume({ sizeGiB: 70000 }),
    /k8s-ha:etcd\.volume\.sizeGiB: 70000 is invalid: 1-65536 GiB for gp3/,
  ],
  [
    "io1 over 50 IOPS per GiB",
    { etcd: { volume: { type: "io1", sizeGiB: 20 } } },
    /k8s-ha:etcd\.volume\.iops: 3000 \(default\) is invalid: 100-1000 IOPS for io1 of 20 GiB/,
  ],
  [
    "throughput on io2",
    { etcd: { volume: { type: "io2", throughputMiBps: 500 } } },
    /k8s-ha:etcd\.volume\.throughputMiBps: 500 is invalid: only for gp3/,
  ],
  [
    "heartbeat 5 ms",
    { etcd: { heartbeatIntervalMs: 5, electionTimeoutMs: 1000 } },
    /k8s-ha:etcd\.heartbeatIntervalMs: 5 is invalid: 10-1000 ms/,
  ],
  [
    "election under 5x heartbeat",
    { etcd: { heartbeatIntervalMs: 250, electionTimeoutMs: 1000 } },
    /k8s-ha:etcd\.electionTimeoutMs: 1000 is invalid: 1250-50000 ms \(etcd refuses .*5x the heartbeat/,
  ],
  [
    "election over 50 s",
    { etcd: { electionTimeoutMs: 60000 } },
    /k8s-ha:etcd\.electionTimeoutMs: 60000 is invalid: 500-50000 ms/,
  ],
  [
    "quota 10 GiB",
    { etcd: { quotaBackendGiB: 10, volume: { sizeGiB: 40 } } },
    /k8s-ha:etcd\.quotaBackendGiB: 10 is invalid: 1-8 GiB/,
  ],
  [
    "quota over half the volume",
    { etcd: { quotaBackendGiB: 8, volume: { sizeGiB: 10 } } },
    /k8s-ha:etcd\.quotaBackendGiB: 8 is invalid: at most half of etcd\.volume\.sizeGiB \(10\)/,
  ],
  [
    "unknown etcd volume key",
    { etcd: { volume: { size: 20 } } },
    /k8s-ha:etcd\.volume\.size: 20 is invalid: unknown key "size"; allowed keys here: type, sizeGiB, iops, throughputMiBps/,
  ],
  [
    "duplicate pool names",
    { workerPools: [{ name: "general" }, { name: "general" }] },
    /k8s-ha:workerPools\[1\]\.name: "general" is invalid: pool names must be unique/,
  ],
  [
    "pool name not a DNS label",
    pool({ name: "Gen_1" }),
    /k8s-ha:workerPools\[0\]\.name: "Gen_1" is invalid: a DNS label of 1-24 characters/,
  ],
  [
    "pool without a name",
    { workerPools: [{ instanceTypes: ["t3.medium"] }] },
    /k8s-ha:workerPools\[0\]\.name: \(missing\) is invalid: required string/,
  ],
  ["empty pool list", { workerPools: [] }, /k8s-ha:workerPools: \[\] is invalid: at least one pool/],
  [
    "no instance types",
    pool({ instanceTypes: [] }),
    /k8s-ha:workerPools\[0\]\.instanceTypes: \[\] is invalid: at least one instance type/,
  ],
  [
    "desired below min",
    pool({ minSize: 3, desiredCapacity: 2, maxSize: 5 }),
    /k8s-ha:workerPools\[0\]\.desiredCapacity: 2 is invalid: between k8s-ha:workerPools\[0\]\.minSize \(3\) and k8s-ha:workerPools\[0\]\.maxSize \(5\)/,
  ],
  [
    "min above max (blamed on minSize, naming maxSize, not on desiredCapacity)",
    pool({ minSize: 5, desiredCapacity: 4, maxSize: 3 }),
    /k8s-ha:workerPools\[0\]\.minSize: 5 is invalid: must not exceed k8s-ha:workerPools\[0\]\.maxSize \(3\); a pool needs minSize <= desiredCapacity <= maxSize/,
  ],
  [
    "max over 1000",
    pool({ maxSize: 1001 }),
    /k8s-ha:workerPools\[0\]\.maxSize: 1001 is invalid: at most 1000/,
  ],
  [
    "negative min",
    pool({ minSize: -1, desiredCapacity: 0 }),
    /k8s-ha:workerPools\[0\]\.minSize: -1 is invalid: 0 or more/,
  ],
  [
    "spot 150%",
    pool({ spotPercentage: 150 }),
    /k8s-ha:workerPools\[0\]\.spotPercentage: 150 is invalid: 0-100/,
  ],
  [
    "on-demand base above max",
    pool({ onDemandBaseCapacity: 5 }),
    /k8s-ha:workerPools\[0\]\.onDemandBaseCapacity: 5 is invalid: 0-maxSize \(3\)/,
  ],
  [
    "label key with spaces",
    pool({ labels: { "bad key!": "x" } }),
    /k8s-ha:workerPools\[0\]\.labels\["bad key!"\]: "bad key!" is invalid: label key must be a Kubernetes qualified name/,
  ],
  [
    "kubelet-forbidden label",
    pool({ labels: { "node-role.kubernetes.io/worker": "" } }),
    /labels\["node-role\.kubernetes\.io\/worker"\]: "node-role\.kubernetes\.io\/worker" is invalid: the kubelet may not set kubernetes\.io\/k8s\.io labels/,
  ],
  [
    "label value of 64 chars",
    pool({ labels: { tier: "v".repeat(64) } }),
    /labels\["tier"\]: "v{64}" is invalid: label value must be empty or 1-63 chars/,
  ],
  [
    "taint effect typo",
    pool({ taints: [{ key: "dedicated", value: "db", effect: "NoRun" }] }),
    /k8s-ha:workerPools\[0\]\.taints\[0\]\.effect: "NoRun" is invalid: must be one of NoSchedule, PreferNoSchedule, NoExecute/,
  ],
  [
    "the pool label set by hand",
    pool({ labels: { "k8sha.io/pool": "other" } }),
    /labels\["k8sha\.io\/pool"\]: "other" is invalid: "general", the pool's name/,
  ],
  [
    "two taints with one key",
    pool({
      taints: [
        { key: "dedicated", value: "db", effect: "NoSchedule" },
        { key: "dedicated", value: "db", effect: "NoExecute" },
      ],
    }),
    /taints\[1\]\.key: "dedicated" is invalid: a key no other taint of this pool uses/,
  ],
  [
    "taint with operator key",
    pool({ taints: [{ key: "dedicated", operator: "Equal", effect: "NoSchedule" }] }),
    /taints\[0\]\.operator: "Equal" is invalid: unknown key "operator"; allowed keys here: key, value, effect/,
  ],
  [
    "lease not above renew deadline",
    { leaderElection: { leaseDurationSeconds: 10 } },
    /k8s-ha:leaderElection\.leaseDurationSeconds: 10 is invalid: more than renewDeadlineSeconds \(10\)/,
  ],
  [
    "zero retry period",
    { leaderElection: { retryPeriodSeconds: 0 } },
    /k8s-ha:leaderElection\.retryPeriodSeconds: 0 is invalid: more than 0 seconds/,
  ],
  [
    "backup every 2 minutes",
    { backup: { intervalMinutes: 2 } },
    /k8s-ha:backup\.intervalMinutes: 2 is invalid: 5-60 minutes/,
  ],
  [
    "hourly kept shorter than all",
    { backup: { keepAllDays: 3, keepHourlyDays: 2 } },
    /k8s-ha:backup\.keepHourlyDays: 2 is invalid: at least keepAllDays \(3\)/,
  ],
  [
    "daily kept shorter than hourly",
    { backup: { keepDailyDays: 3 } },
    /k8s-ha:backup\.keepDailyDays: 3 is invalid: at least keepHourlyDays \(7\)/,
  ],
  ["keep nothing", { backup: { keepAllDays: 0 } }, /k8s-ha:backup\.keepAllDays: 0 is invalid: 1 day or more/],
  [
    "weave CNI",
    { cni: { provider: "weave" } },
    /k8s-ha:cni\.provider: "weave" is invalid: must be one of calico, cilium, flannel \(Weave Net is unmaintained/,
  ],
  [
    "CNI version with v",
    { cni: { version: "v3.30.3" } },
    /k8s-ha:cni\.version: "v3.30.3" is invalid: a release X\.Y\.Z/,
  ],
  [
    "gate timeout 0",
    { readinessGate: { timeoutMinutes: 0 } },
    /k8s-ha:readinessGate\.timeoutMinutes: 0 is invalid: 1-120 minutes/,
  ],
  [
    "gate enabled as a word",
    { readinessGate: { enabled: "yes" } },
    /k8s-ha:readinessGate\.enabled: "yes" is invalid: must be true or false/,
  ],
  [
    "aws: tag",
    { tags: { "aws:owner": "me" } },
    /k8s-ha:tags\["aws:owner"\]: "aws:owner" is invalid: tag keys may not start with "aws:"/,
  ],
  [
    "project-reserved tag",
    { tags: { "kubernetes.io/cluster/other": "owned" } },
    /tags\["kubernetes\.io\/cluster\/other"\]: .* is invalid: tag keys under kubernetes\.io\/cluster\/, k8sha\.io\/, k8s\.io\/cluster-autoscaler\/ are set by this project/,
  ],
  [
    "cluster-autoscaler tag (it would duplicate a key on every worker ASG)",
    { tags: { "k8s.io/cluster-autoscaler/enabled": "true" } },
    /tags\["k8s\.io\/cluster-autoscaler\/enabled"\]: "k8s\.io\/cluster-autoscaler\/enabled" is invalid: tag keys under .*k8s\.io\/cluster-autoscaler\/ are set by this project/,
  ],
  [
    "tag key of 129 chars",
    { tags: { ["k".repeat(129)]: "x" } },
    /k8s-ha:tags\["k{129}"\]: "k+\.\.\. is invalid: tag key of 1-128/,
  ],
  [
    "tag value of 257 chars",
    { tags: { team: "v".repeat(257) } },
    /k8s-ha:tags\["team"\]: "v+\.\.\. is invalid: tag value of 0-256/,
  ],
  ["41 tags", { tags: manyTags }, /k8s-ha:tags: \{"team-0".* is invalid: at most 40 tags/],
  [
    "tag value not a string",
    { tags: { "cost-center": 4711 } },
    /k8s-ha:tags\["cost-center"\]: 4711 is invalid: must be a string/,
  ],
];

test.each(cases)("refuses %s", (_name, overrides, expected) => expectSingleProblem(overrides, expected));
