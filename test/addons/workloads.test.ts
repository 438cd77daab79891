/**
 * Where each add-on runs and how, as the cluster needs it: the CCM on the masters before any
 * node is initialised, the EBS CSI controller on the masters and its node plugin everywhere,
 * the autoscaler discovering the very ASG tags the worker pools carry, the termination handler
 * on the workers' host network.
 */

import { UNINITIALIZED_TAINT } from "../../addons/cloudControllerManager";
import type { K8sObject, PodSpec } from "../../addons/k8sTypes";
import { AUTOSCALER_TAG, autoscalerDiscoveryTagKeys, autoscalerTags } from "../../base/autoscaler";
import { TAG_CLUSTER } from "../../base/tags";
import { CLUSTER, container, envOf, KMS_KEY, renderOne, workload } from "./fixtures";

const CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
const tolerates = (spec: PodSpec, key: string) =>
  (spec.tolerations ?? []).some((t) => (t.key === key || t.key === undefined) && t.operator === "Exists");

describe("cloud-controller-manager", () => {
  const spec = workload(renderOne("cloudControllerManager"), "DaemonSet", "aws-cloud-controller-manager");
  const ccm = container(spec, "aws-cloud-controller-manager");

  it("runs on the masters, on the host network, before nodes are initialised or ready", () => {
    expect(spec.nodeSelector).toEqual({ [CONTROL_PLANE]: "" });
    expect(spec.hostNetwork).toBe(true);
    expect(spec.priorityClassName).toBe("system-node-critical");
    expect(tolerates(spec, UNINITIALIZED_TAINT)).toBe(true);
    expect(tolerates(spec, CONTROL_PLANE)).toBe(true);
    expect(tolerates(spec, "node.kubernetes.io/not-ready")).toBe(true);
    expect(UNINITIALIZED_TAINT).toBe("node.cloudprovider.kubernetes.io/uninitialized");
  });

  it("is the AWS provider for this cluster, without cloud routes", () => {
    expect(ccm.args).toEqual(
      expect.arrayContaining([
        "--cloud-provider=aws",
        "--configure-cloud-routes=false",
        `--cluster-name=${CLUSTER}`,
      ]),
    );
  });
});

describe("EBS CSI driver", () => {
  const objects = renderOne("ebsCsiDriver");
  const ctrl = workload(objects, "Deployment", "ebs-csi-controller");
  const node = workload(objects, "DaemonSet", "ebs-csi-node");
  const find = <K extends K8sObject["kind"]>(kind: K, name: string) =>
    objects.find((o): o is Extract<K8sObject, { kind: K }> => o.kind === kind && o.metadata.name === name);

  it("registers the driver ebs.csi.aws.com", () => {
    expect(find("CSIDriver", "ebs.csi.aws.com")?.spec).toMatchObject({ attachRequired: true });
  });

  it("controller: two replicas on the masters, spread by host, with the sidecars but no snapshotter", () => {
    const deployment = find("Deployment", "ebs-csi-controller");
    expect(deployment?.spec.replicas).toBe(2);
    expect(ctrl.nodeSelector?.[CONTROL_PLANE]).toBe("");
    expect(tolerates(ctrl, CONTROL_PLANE)).toBe(true);
    expect(
      ctrl.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe("kubernetes.io/hostname");
    expect(ctrl.containers.map((c) => c.name)).toEqual([
      "ebs-plugin",
      "csi-provisioner",
      "csi-attacher",
      "csi-resizer",
      "liveness-probe",
    ]);
  });

  it("controller tags every volume with the cluster", () => {
    expect(container(ctrl, "ebs-plugin").args).toContain(`--extra-tags=${TAG_CLUSTER}=${CLUSTER}`);
  });

  it("node plugin: on every node whatever its taints, metadata from the Kubernetes API", () => {
    expect(node.tolerations).toEqual([{ operator: "Exists" }]);
    expect(node.hostNetwork).toBeUndefined();
    const plugin = container(node, "ebs-plugin");
    expect(plugin.args).toContain("--metadata-sources=kubernetes");
    expect(plugin.env?.find((e) => e.name === "CSI_NODE_NAME")?.valueFrom?.fieldRef.fieldPath).toBe(
      "spec.nodeName",
    );
    const nodeRole = find("ClusterRole", "ebs-csi-node-role");
    expect(nodeRole?.rules.some((r) => r.resources.includes("nodes") && r.verbs.includes("get"))).toBe(true);
    expect(node.containers.map((c) => c.name)).toContain("node-driver-registrar");
  });

  it("fields of Kubernetes 1.33 only from 1.33", () => {
    const csiDriver = (k: string) => {
      const o = renderOne("ebsCsiDriver", { kubernetesVersion: k }).find((x) => x.kind === "CSIDriver");
      return o?.kind === "CSIDriver" ? o.spec : undefined;
    };
    expect(csiDriver("1.32.5")).not.toHaveProperty("nodeAllocatableUpdatePeriodSeconds");
    expect(csiDriver("1.33.1")).toHaveProperty("nodeAllocatableUpdatePeriodSeconds", 10);
    const attacher = (k: string) =>
      container(
        workload(renderOne("ebsCsiDriver", { kubernetesVersion: k }), "Deployment", "ebs-csi-controller"),
        "csi-attacher",
      ).args;
    expect(attacher("1.32.5")?.join(" ")).not.toMatch(/MutableCSINodeAllocatableCount/);
    expect(attacher("1.35.0")).toContain("--feature-gates=MutableCSINodeAllocatableCount=true");
  });

  it("default StorageClass: gp3, encrypted with the cluster key, bound at first consumer, expandable", () => {
    expect(find("StorageClass", "gp3")).toMatchObject({
      metadata: { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true", kmsKeyId: KMS_KEY },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
  });
});

describe("cluster-autoscaler", () => {
  const spec = workload(renderOne("clusterAutoscaler"), "Deployment", "cluster-autoscaler");
  const flags = container(spec, "cluster-autoscaler").command ?? [];

  it("discovers exactly the tags the worker pools put on their ASGs", () => {
    const asgTags = autoscalerTags(CLUSTER, { "k8sha.io/pool": "general" }, []);
    for (const key of autoscalerDiscoveryTagKeys(CLUSTER)) expect(asgTags).toHaveProperty([key]);
    const discovery = flags.find((f) => f.startsWith("--node-group-auto-discovery="));
    expect(discovery).toBe(
      `--node-group-auto-discovery=asg:tag=${AUTOSCALER_TAG}/enabled,${AUTOSCALER_TAG}/${CLUSTER}`,
    );
    // Another cluster's pools do not match.
    expect(Object.keys(autoscalerTags("other", {}, []))).not.toContain(`${AUTOSCALER_TAG}/${CLUSTER}`);
  });

  it("runs on the masters with the chosen scaling policy", () => {
    expect(flags[0]).toBe("/cluster-autoscaler");
    expect(flags).toEqual(
      expect.arrayContaining([
        "--cloud-provider=aws",
        "--balance-similar-node-groups",
        "--expander=least-waste",
        "--skip-nodes-with-system-pods=true",
      ]),
    );
    expect(spec.nodeSelector).toEqual({ [CONTROL_PLANE]: "" });
    expect(tolerates(spec, CONTROL_PLANE)).toBe(true);
    expect(spec.priorityClassName).toBe("system-cluster-critical");
  });
});

describe("node termination handler", () => {
  const spec = workload(renderOne("nodeTerminationHandler"), "DaemonSet", "aws-node-termination-handler");
  const env = envOf(container(spec, "aws-node-termination-handler"));

  it("runs on the host network (IMDS with hop limit 1) on every Linux node but the masters", () => {
    expect(spec.hostNetwork).toBe(true);
    expect(spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(
      spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([{ matchExpressions: [{ key: CONTROL_PLANE, operator: "DoesNotExist" }] }]);
  });

  it("drains on spot interruptions and scheduled events in IMDS mode, leaving ASG scale-in to the hook handler", () => {
    expect(env).toMatchObject({
      ENABLE_SQS_TERMINATION_DRAINING: "false",
      ENABLE_SPOT_INTERRUPTION_DRAINING: "true",
      ENABLE_SCHEDULED_EVENT_DRAINING: "true",
      ENABLE_ASG_LIFECYCLE_DRAINING: "false",
    });
    expect(env.AWS_ROLE_ARN).toBeUndefined();
  });
});
