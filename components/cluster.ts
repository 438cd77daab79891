import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmNamePrefix } from "../base/alarmNames";
import { baseTags } from "../base/tags";
import { ClusterAddons, enabledRoleAddons } from "./addons/clusterAddons";
import { ApiLoadBalancer } from "./apiLoadBalancer";
import { createBootBundles } from "./bootBundle";
import { BootstrapToken } from "./bootstrapToken";
import { type ClusterArgs, resolveClusterArgs } from "./clusterArgs";
import { ClusterBucket } from "./clusterBucket";
import { type ClusterOutputs, clusterOutputs } from "./clusterOutputs";
import { clusterReadinessGate } from "./clusterReadiness";
import { ClusterSecrets } from "./clusterSecrets";
import { clusterStateParameters } from "./clusterState";
import { ControlPlane, masterBootSettings } from "./controlPlane";
import { createClusterEtcd } from "./etcd/clusterEtcd";
import type { EtcdCluster } from "./etcd/etcdCluster";
import { ServiceAccountIssuer } from "./identity/serviceAccountIssuer";
import { createClusterMonitoring } from "./monitoring/clusterMonitoring";
import { Network } from "./network";
import { ebsKeyArn } from "./nodes/ebsKey";
import type { WorkerPool } from "./nodes/workerPool";
import { createWorkerPools } from "./nodes/workerPools";
import { ClusterPki } from "./pki";
import type { ReadinessGate } from "./readinessGate";
import { SecurityGroups } from "./securityGroups";
import { poolsToValidate, ValidationTarget } from "./validationTarget";

export type { ClusterArgs } from "./clusterArgs";

/**
 * A self-managed HA Kubernetes cluster: network, PKI, API load balancer, one master per zone
 * with its own etcd volume (stacked) or stateless beside dedicated etcd nodes (external), worker
 * pools, etcd backups and a readiness gate. This file only assembles the parts; each takes its
 * config section whole (docs/architecture.md, docs/topologies.md).
 */
export class Cluster extends pulumi.ComponentResource {
  public readonly network: Network;
  /** The cluster bucket: etcd snapshots and the nodes' boot bundles. */
  public readonly bucket: ClusterBucket;
  public readonly pki: ClusterPki;
  public readonly bootstrapToken: BootstrapToken;
  /** KMS key and SSM parameters nodes read at boot (workers: `secrets.names.join`). */
  public readonly secrets: ClusterSecrets;
  public readonly apiLoadBalancer: ApiLoadBalancer;
  /** Node security groups (workers: `securityGroups.workerSecurityGroupId`). */
  public readonly securityGroups: SecurityGroups;
  public readonly controlPlane: ControlPlane;
  /** The dedicated etcd nodes (docs/etcd-nodes.md); absent with stacked etcd, the default. */
  public readonly etcdCluster?: EtcdCluster;
  /** One per `workerPools` entry, same order. */
  public readonly workerPools: WorkerPool[];
  /** The public OIDC issuer the add-on roles trust; absent when no add-on with an IAM role is enabled. */
  public readonly serviceAccountIssuer?: ServiceAccountIssuer;
  /** The add-ons' IAM roles, manifest and the pointer the masters apply (docs/addons.md). */
  public readonly addons: ClusterAddons;
  /** Absent when `readinessGate.enabled` is false. */
  public readonly readinessGate?: ReadinessGate;
  /** The version the whole control plane reached, read by the upgrade guard (`guardKubernetesUpgrade`). */
  public readonly kubernetesVersionParameter: aws.ssm.Parameter;
  /** What `k8sha-validate` checks the cluster against (docs/validate.md). */
  public readonly validation: ValidationTarget;
  /** Values exported as stack outputs (see README "Outputs"). */
  public readonly outputs: ClusterOutputs;

  constructor(name: string, input: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:cluster:Cluster", name, {}, opts);
    // Defaults and validation before any child registers: a bad value fails here, by key.
    const { spec, availabilityZones } = resolveClusterArgs(input, this);
    const { clusterName } = spec;
    const tags = baseTags(clusterName, spec.tags);
    const child = { parent: this };
    // External etcd: dedicated etcd nodes, stateless masters (docs/topologies.md).
    const externalEtcd = spec.etcd.topology === "external";
    this.network = new Network(
      `${name}-net`,
      { ...spec.network, clusterName, availabilityZones, tags },
      child,
    );
    this.pki = new ClusterPki(`${name}-pki`, { clusterName, externalEtcd }, child);
    this.bootstrapToken = new BootstrapToken(`${name}-token`, {}, child);
    this.secrets = new ClusterSecrets(
      `${name}-secrets`,
      {
        clusterName,
        pki: this.pki,
        bootstrapToken: this.bootstrapToken.token,
        discoveryHash: this.pki.discoveryHash,
        tags,
      },
      child,
    );
    // Before the masters, whose IAM and boot need it. etcd snapshots hold every Secret of the
    // cluster: SSE-KMS under the cluster key (boot bundles stay SSE-S3). docs/backup-restore.md.
    this.bucket = new ClusterBucket(
      `${name}-backup`,
      { ...spec.backup, clusterName, kmsKeyArn: this.secrets.kmsKeyArn, tags },
      child,
    );
    const bucketRef = { bucketName: this.bucket.bucketName, bucketArn: this.bucket.bucketArn };
    const bundles = createBootBundles(name, clusterName, bucketRef, this, externalEtcd); // docs/boot.md

    const publicApi = spec.api.exposure === "public";
    this.apiLoadBalancer = new ApiLoadBalancer(
      `${name}-api`,
      {
        ...spec.api,
        clusterName,
        vpcId: this.network.vpcId,
        vpcCidr: this.network.vpcCidr,
        subnetIds: publicApi ? this.network.publicSubnetIds : this.network.privateSubnetIds,
        tags,
      },
      child,
    );
    this.securityGroups = new SecurityGroups(
      `${name}-sg`,
      {
        clusterName,
        vpcId: this.network.vpcId,
        vpcCidr: this.network.vpcCidr,
        apiLoadBalancerSecurityGroupId: this.apiLoadBalancer.securityGroupId,
        cniProvider: spec.cni.provider,
        etcdTopology: spec.etcd.topology,
        tags,
      },
      child,
    );
    this.etcdCluster = createClusterEtcd(
      `${name}-etcd`,
      {
        spec,
        network: this.network,
        securityGroups: this.securityGroups,
        secrets: this.secrets,
        bundle: bundles.etcd,
        bucket: { ...bucketRef, prefix: this.bucket.prefix },
        apiTargetGroupArn: this.apiLoadBalancer.targetGroupArn,
        tags,
      },
      child,
    );
    // Before the masters: their API servers sign service-account tokens with its URL.
    if (enabledRoleAddons(spec.addons).length > 0) {
      this.serviceAccountIssuer = new ServiceAccountIssuer(
        `${name}-sa-issuer`,
        {
          clusterName,
          region: spec.region,
          serviceAccountPublicKeyPem: this.pki.serviceAccountPublicKeyPem,
          tags,
        },
        child,
      );
    }
    const issuer = this.serviceAccountIssuer;
    const cloudControllerManager = spec.addons.cloudControllerManager.enabled;
    this.controlPlane = new ControlPlane(
      `${name}-cp`,
      {
        ...spec.masters,
        clusterName,
        imageId: spec.imageId,
        availabilityZones: this.network.availabilityZones,
        privateSubnetIds: this.network.privateSubnetIds,
        privateSubnetCidrs: this.network.privateSubnetCidrs,
        etcdVolume: spec.etcd.volume,
        securityGroupIds: [this.securityGroups.masterSecurityGroupId],
        targetGroupArn: this.apiLoadBalancer.targetGroupArn,
        apiEndpoint: this.apiLoadBalancer.dnsName,
        ssmPrefix: this.secrets.prefix,
        kmsKeyArn: this.secrets.kmsKeyArn,
        boot: masterBootSettings(spec, this.etcdCluster?.clientEndpoints),
        serviceAccountIssuer: issuer && { issuerUrl: issuer.issuerUrl, jwksUri: issuer.jwksUri },
        backup: { ...bucketRef, prefix: this.bucket.prefix, intervalMinutes: spec.backup.intervalMinutes },
        bootBundle: { ...bundles.master.ref, bucketArn: this.bucket.bucketArn },
        // No master boots before its SSM parameters and boot bundle exist, nor rolls before the
        // last etcd node's gate passed (one node out at a time).
        bootPrerequisites: [this.secrets, bundles.master, ...(this.etcdCluster?.rollGates.slice(-1) ?? [])],
        rolling: spec.rolling,
        tags,
      },
      child,
    );
    // The last gate passes only once every master runs its template (docs/rolling.md).
    const lastRoll = this.controlPlane.lastRollGate;
    // The CNI itself is installed by the init master (cloud-init/lib/cni.sh, from boot.cni).
    this.workerPools = createWorkerPools(
      name,
      {
        spec,
        apiEndpoint: this.apiLoadBalancer.dnsName,
        secrets: this.secrets,
        bundle: bundles.worker,
        // Kubelets move to a new version only after every API server did (version-skew policy).
        prerequisites: lastRoll ? [this.secrets, lastRoll] : [this.secrets],
        subnetIds: this.network.privateSubnetIds,
        securityGroupId: this.securityGroups.workerSecurityGroupId,
        cloudControllerManager,
        tags,
      },
      this,
    );
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    this.addons = new ClusterAddons(
      `${name}-addons`,
      {
        clusterName,
        region: spec.region,
        kubernetesVersion: spec.kubernetesVersion,
        addons: spec.addons,
        issuer,
        accountId: identity.accountId,
        partition: aws.getPartitionOutput({}, { parent: this }).partition,
        ebsKmsKeyArn: ebsKeyArn({ parent: this }),
        vpcId: this.network.vpcId,
        bucketName: this.bucket.bucketName,
        // Applied by the masters only once every master runs the current template.
        applyAfter: [lastRoll ?? this.controlPlane],
        tags,
      },
      child,
    );
    if (spec.readinessGate.enabled) {
      this.readinessGate = clusterReadinessGate(
        `${name}-ready`,
        {
          spec,
          zoneCount: availabilityZones.length,
          apiLoadBalancer: this.apiLoadBalancer,
          pki: this.pki,
          // Components as dependencies: the gate waits for every resource inside them (NLB, ASGs).
          waitFor: [
            this.apiLoadBalancer,
            ...(this.etcdCluster ? [this.etcdCluster] : []),
            this.controlPlane,
            ...this.workerPools,
          ],
          workerPools: this.workerPools,
        },
        child,
      );
    }

    // What the upgrade and topology guards read back on the next `pulumi up`.
    this.kubernetesVersionParameter = clusterStateParameters(
      name,
      {
        clusterName,
        kubernetesVersion: spec.kubernetesVersion,
        etcdTopology: spec.etcd.topology,
        after: lastRoll ?? this.controlPlane,
        tags,
      },
      child,
    ).kubernetesVersion;

    // Alarms, their topic and the dashboard (docs/monitoring.md).
    if (spec.monitoring.enabled) {
      createClusterMonitoring(
        `${name}-monitoring`,
        {
          spec,
          accountId: identity.accountId,
          availabilityZones: this.network.availabilityZones,
          apiLoadBalancer: this.apiLoadBalancer,
          asgNames: [
            ...this.controlPlane.asgNames,
            ...(this.etcdCluster?.asgNames ?? []),
            ...this.workerPools.flatMap((p) => p.asgNames),
          ],
          tags,
        },
        child,
      );
    }

    // What `k8sha-validate` checks, for the operator (a stack output) and the masters (SSM).
    this.validation = new ValidationTarget(
      `${name}-validation`,
      {
        clusterName,
        region: spec.region,
        masterCount: spec.masters.count,
        masterAsgNames: this.controlPlane.asgNames,
        etcdAsgNames: this.etcdCluster?.asgNames,
        targetGroupArn: this.apiLoadBalancer.targetGroupArn,
        backup: { ...bucketRef, prefix: this.bucket.prefix, maxAgeMinutes: spec.rolling.backupMaxAgeMinutes },
        alarmNamePrefix: spec.monitoring.enabled ? alarmNamePrefix(clusterName) : undefined,
        pools: poolsToValidate(spec.workerPools, this.workerPools),
        tags,
      },
      child,
    );

    const poolNames = spec.workerPools.map((p) => p.name);
    this.outputs = clusterOutputs(clusterName, poolNames, this);
    this.registerOutputs(this.outputs);
  }
}
