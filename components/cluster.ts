import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmNamePrefix } from "../base/alarmNames";
import { kubernetesVersionParameterName } from "../base/ssmPaths";
import { baseTags } from "../base/tags";
import { ClusterAddons, enabledRoleAddons } from "./addons/clusterAddons";
import { ApiLoadBalancer } from "./apiLoadBalancer";
import { createBootBundles } from "./bootBundle";
import { BootstrapToken } from "./bootstrapToken";
import { type ClusterArgs, resolveClusterArgs } from "./clusterArgs";
import { ClusterBucket } from "./clusterBucket";
import { type ClusterOutputs, clusterOutputs } from "./clusterOutputs";
import { ClusterSecrets } from "./clusterSecrets";
import { ControlPlane } from "./controlPlane";
import { ServiceAccountIssuer } from "./identity/serviceAccountIssuer";
import { Monitoring } from "./monitoring/monitoring";
import { Network } from "./network";
import { ebsKeyArn } from "./nodes/ebsKey";
import { masterNodeName } from "./nodes/master";
import type { WorkerPool } from "./nodes/workerPool";
import { createWorkerPools } from "./nodes/workerPools";
import { ClusterPki } from "./pki";
import { ReadinessGate } from "./readinessGate";
import { SecurityGroups } from "./securityGroups";
import { poolsToValidate, ValidationTarget } from "./validationTarget";

export type { ClusterArgs } from "./clusterArgs";

/**
 * A self-managed HA Kubernetes cluster: network, PKI, API load balancer, one master per
 * zone with its own etcd volume, worker pools, etcd backups and a readiness gate. This file
 * only assembles the parts; each takes its config section whole (docs/architecture.md).
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
  /** Values exported as stack outputs (see README "Outputs"). */
  /** What `k8sha-validate` checks the cluster against (docs/validate.md). */
  public readonly validation: ValidationTarget;
  public readonly outputs: ClusterOutputs;

  constructor(name: string, input: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:cluster:Cluster", name, {}, opts);
    // Defaults and validation before any child registers: a bad value fails here, by key.
    const { spec, availabilityZones } = resolveClusterArgs(input, this);
    const { clusterName } = spec;
    const tags = baseTags(clusterName, spec.tags);
    const child = { parent: this };

    this.network = new Network(
      `${name}-net`,
      { ...spec.network, clusterName, availabilityZones, tags },
      child,
    );
    this.pki = new ClusterPki(`${name}-pki`, { clusterName }, child);
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
    const bundles = createBootBundles(name, clusterName, bucketRef, this); // docs/boot.md

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
        boot: {
          region: spec.region,
          kubernetesVersion: spec.kubernetesVersion,
          podCidr: spec.network.podCidr,
          serviceCidr: spec.network.serviceCidr,
          etcd: spec.etcd,
          leaderElection: spec.leaderElection,
          cni: spec.cni,
          extraCertSans: [],
          cloudControllerManager,
        },
        serviceAccountIssuer: issuer && { issuerUrl: issuer.issuerUrl, jwksUri: issuer.jwksUri },
        backup: { ...bucketRef, prefix: this.bucket.prefix, intervalMinutes: spec.backup.intervalMinutes },
        bootBundle: { ...bundles.master.ref, bucketArn: this.bucket.bucketArn },
        // No master may boot before the SSM parameters it reads and its boot bundle exist.
        bootPrerequisites: [this.secrets, bundles.master],
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
      this.readinessGate = new ReadinessGate(
        `${name}-ready`,
        {
          server: this.apiLoadBalancer.endpoint,
          caCertPem: this.pki.caCertPem,
          clientCertPem: this.pki.adminCertPem,
          clientKeyPem: this.pki.adminKeyPem,
          masterCount: spec.masters.count,
          // A zonal pool's minSize holds in each zone; its nodes share the pool label.
          pools: spec.workerPools.map((p) => ({
            name: p.name,
            minReady: p.zonal ? p.minSize * availabilityZones.length : p.minSize,
          })),
          timeoutMinutes: spec.readinessGate.timeoutMinutes,
          // Components as dependencies: the gate waits for every resource inside them (NLB, ASGs).
          waitFor: [this.apiLoadBalancer, this.controlPlane, ...this.workerPools],
          rerunWhen: this.workerPools.map((p) => p.launchTemplateVersion),
        },
        child,
      );
    }

    this.kubernetesVersionParameter = new aws.ssm.Parameter(
      `${name}-kubernetes-version`,
      {
        name: kubernetesVersionParameterName(clusterName),
        description: "Kubernetes version every master reached (k8sha upgrade guard)",
        type: "String",
        // Not a secret: `insecureValue` keeps it readable in diffs (`value` is always marked secret).
        insecureValue: spec.kubernetesVersion,
        tags,
      },
      // A fixed name is taken until the old parameter is gone.
      { parent: this, dependsOn: [lastRoll ?? this.controlPlane], deleteBeforeReplace: true },
    );

    // Alarms, their topic and the dashboard (docs/monitoring.md).
    if (spec.monitoring.enabled) {
      const masterCount = spec.masters.count;
      new Monitoring(
        `${name}-monitoring`,
        {
          clusterName,
          region: spec.region,
          accountId: identity.accountId,
          partition: aws.getPartitionOutput({}, { parent: this }).partition,
          masterCount,
          masterZones: this.network.availabilityZones.slice(0, masterCount),
          masterAsgNames: Array.from({ length: masterCount }, (_, i) => masterNodeName(clusterName, i)),
          asgNames: [...this.controlPlane.asgNames, ...this.workerPools.flatMap((p) => p.asgNames)],
          loadBalancerArnSuffix: this.apiLoadBalancer.loadBalancerArnSuffix,
          targetGroupArnSuffix: this.apiLoadBalancer.targetGroupArnSuffix,
          backupIntervalMinutes: spec.backup.intervalMinutes,
          emailSubscriptions: spec.monitoring.emailSubscriptions,
          httpsSubscriptions: spec.monitoring.httpsSubscriptions,
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
        targetGroupArn: this.apiLoadBalancer.targetGroupArn,
        backup: { ...bucketRef, prefix: this.bucket.prefix, maxAgeMinutes: spec.rolling.backupMaxAgeMinutes },
        alarmNamePrefix: spec.monitoring.enabled ? alarmNamePrefix(clusterName) : undefined,
        pools: poolsToValidate(spec.workerPools, this.workerPools),
        tags,
      },
      child,
    );

    this.outputs = clusterOutputs(
      clusterName,
      spec.workerPools.map((p) => p.name),
      this,
    );
    this.registerOutputs(this.outputs);
  }
}
