/**
 * cluster-autoscaler (kubernetes/autoscaler) on AWS: resizes the worker ASGs it discovers by
 * tag when pods do not fit or nodes sit underused. Modelled on
 * cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml (RBAC,
 * Deployment, security context) of that repository; flags as defined in
 * cluster-autoscaler/config/flags/flags.go of the release.
 */
import { ADDON_SERVICE_ACCOUNTS } from "../base/addons";
import { autoscalerDiscoveryTagKeys } from "../base/autoscaler";
import { CONTROL_PLANE_LABEL } from "./cloudControllerManager";
import { addonMeta, type K8sObject, type PolicyRule, serviceAccountRef } from "./k8sTypes";
import { podWithWebIdentity, type WebIdentity } from "./webIdentity";

const ADDON = "clusterAutoscaler";
const NAME = "cluster-autoscaler";
export const CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler";

export interface ClusterAutoscalerInput {
  clusterName: string;
  version: string;
  identity: WebIdentity;
}

const WATCH = ["watch", "list", "get"];
const rule = (
  apiGroups: string[],
  resources: string[],
  verbs: string[],
  resourceNames?: string[],
): PolicyRule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

/** The example's ClusterRole, as of the release line 1.35 (incl. DRA and volume attachments). */
const CLUSTER_RULES: PolicyRule[] = [
  rule([""], ["events", "endpoints"], ["create", "patch"]),
  rule([""], ["pods/eviction"], ["create"]),
  rule([""], ["pods/status"], ["update"]),
  rule([""], ["endpoints"], ["get", "update"], [NAME]),
  rule([""], ["nodes"], ["watch", "list", "get", "update"]),
  rule(
    [""],
    [
      "namespaces",
      "pods",
      "services",
      "replicationcontrollers",
      "persistentvolumeclaims",
      "persistentvolumes",
    ],
    WATCH,
  ),
  rule(["extensions"], ["replicasets", "daemonsets"], WATCH),
  rule(["policy"], ["poddisruptionbudgets"], ["watch", "list"]),
  rule(["apps"], ["statefulsets", "replicasets", "daemonsets"], WATCH),
  rule(["resource.k8s.io"], ["deviceclasses", "resourceslices", "resourceclaims"], WATCH),
  rule(
    ["storage.k8s.io"],
    ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"],
    WATCH,
  ),
  rule(["batch", "extensions"], ["jobs"], ["get", "list", "watch", "patch"]),
  rule(["coordination.k8s.io"], ["leases"], ["create"]),
  rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [NAME]),
];

const NAMESPACE_RULES: PolicyRule[] = [
  rule([""], ["configmaps"], ["create", "list", "watch"]),
  rule(
    [""],
    ["configmaps"],
    ["delete", "get", "update", "watch"],
    ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"],
  ),
];

/** The flags; exported so the docs and tests read the same list. */
export function clusterAutoscalerFlags(clusterName: string): string[] {
  return [
    "--v=2",
    "--stderrthreshold=info",
    "--cloud-provider=aws",
    `--node-group-auto-discovery=asg:tag=${autoscalerDiscoveryTagKeys(clusterName).join(",")}`,
    // Pools spread over zones (one ASG per zone, or similar pools) are kept the same size, so
    // zonal workloads and volumes find room in every zone.
    "--balance-similar-node-groups",
    "--expander=least-waste",
    // emptyDir is scratch space: it must not pin a node forever (the upstream example's choice).
    "--skip-nodes-with-local-storage=false",
    // Kept at its default: a node running kube-system pods without a PodDisruptionBudget is
    // not removed. kubeadm's CoreDNS has no PDB, and parallel scale-downs could evict both of
    // its replicas at once; a cluster that adds a PDB for CoreDNS gets those nodes back, since
    // pods with a PDB are movable (cluster-autoscaler/FAQ.md "What types of pods can prevent CA
    // from removing a node?").
    "--skip-nodes-with-system-pods=true",
  ];
}

export function clusterAutoscalerObjects(input: ClusterAutoscalerInput): K8sObject[] {
  const serviceAccount = ADDON_SERVICE_ACCOUNTS.clusterAutoscaler;
  const selector = { app: NAME };
  const roleRef = (kind: "ClusterRole" | "Role") => ({
    apiGroup: "rbac.authorization.k8s.io" as const,
    kind,
    name: NAME,
  });
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: addonMeta(ADDON, "ServiceAccount", serviceAccount),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: addonMeta(ADDON, "ClusterRole", NAME),
      rules: CLUSTER_RULES,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: addonMeta(ADDON, "Role", NAME),
      rules: NAMESPACE_RULES,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: addonMeta(ADDON, "ClusterRoleBinding", NAME),
      roleRef: roleRef("ClusterRole"),
      subjects: [serviceAccountRef(serviceAccount)],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: addonMeta(ADDON, "RoleBinding", NAME),
      roleRef: roleRef("Role"),
      subjects: [serviceAccountRef(serviceAccount)],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: addonMeta(ADDON, "Deployment", NAME, selector),
      spec: {
        // One active instance at a time in any case (it takes a lease); a second replica only
        // shortens the gap when a master goes away.
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: addonMeta(ADDON, "Deployment", NAME, selector).labels },
          spec: podWithWebIdentity(
            {
              // On the masters: never on a node it might remove itself.
              nodeSelector: { [CONTROL_PLANE_LABEL]: "" },
              tolerations: [{ key: CONTROL_PLANE_LABEL, operator: "Exists", effect: "NoSchedule" }],
              priorityClassName: "system-cluster-critical",
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 65534,
                fsGroup: 65534,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: NAME,
                  image: `${CLUSTER_AUTOSCALER_IMAGE}:v${input.version}`,
                  // The image's binary (Dockerfile: COPY ... /cluster-autoscaler, no ENTRYPOINT).
                  command: ["/cluster-autoscaler", ...clusterAutoscalerFlags(input.clusterName)],
                  resources: {
                    requests: { cpu: "100m", memory: "600Mi" },
                    limits: { cpu: "100m", memory: "600Mi" },
                  },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                    readOnlyRootFilesystem: true,
                  },
                },
              ],
            },
            input.identity,
            [NAME],
          ),
        },
      },
    },
  ];
}
