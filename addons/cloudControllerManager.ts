/**
 * The AWS cloud-controller-manager (kubernetes/cloud-provider-aws): initialises nodes (provider
 * ID, addresses, zone and instance-type labels, then removes the
 * node.cloudprovider.kubernetes.io/uninitialized taint a kubelet with --cloud-provider=external
 * registers with), deletes Nodes whose instance is gone, and runs the Service load-balancer
 * controller. Modelled on examples/existing-cluster/base (DaemonSet, RBAC) and
 * charts/aws-cloud-controller-manager (values.yaml: priority class, dnsPolicy, ClusterRole
 * rules incl. token and subject access reviews) of that repository.
 */
import { ADDON_SERVICE_ACCOUNTS } from "../base/addons";
import { addonMeta, type ClusterRole, type K8sObject, serviceAccountRef } from "./k8sTypes";
import { podWithWebIdentity, type WebIdentity } from "./webIdentity";

const ADDON = "cloudControllerManager";
const NAME = "aws-cloud-controller-manager";
export const CLOUD_CONTROLLER_MANAGER_IMAGE = "registry.k8s.io/provider-aws/cloud-controller-manager";
const CLUSTER_ROLE = "system:cloud-controller-manager";

/** The taint a kubelet with an external cloud provider starts with, until the CCM initialises the node. */
export const UNINITIALIZED_TAINT = "node.cloudprovider.kubernetes.io/uninitialized";
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

export interface CloudControllerManagerInput {
  clusterName: string;
  version: string;
  identity: WebIdentity;
}

/** The chart's clusterRoleRules (charts/aws-cloud-controller-manager/values.yaml). */
function clusterRole(): ClusterRole {
  const core = (resources: string[], verbs: string[]) => ({ apiGroups: [""], resources, verbs });
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: addonMeta(ADDON, "ClusterRole", CLUSTER_ROLE),
    rules: [
      core(["events"], ["create", "patch", "update"]),
      core(["nodes"], ["*"]),
      core(["nodes/status"], ["patch"]),
      core(["services"], ["list", "patch", "update", "watch"]),
      core(["services/status"], ["list", "patch", "update", "watch"]),
      core(["serviceaccounts"], ["create"]),
      core(["persistentvolumes"], ["get", "list", "update", "watch"]),
      core(["endpoints"], ["create", "get", "list", "watch", "update"]),
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["create", "get", "list", "watch", "update"],
      },
      // --use-service-account-credentials: each controller runs with its own service account's token.
      core(["serviceaccounts/token"], ["create"]),
      // Delegated authentication and authorization of its secure serving port.
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ],
  };
}

export function cloudControllerManagerObjects(input: CloudControllerManagerInput): K8sObject[] {
  const serviceAccount = ADDON_SERVICE_ACCOUNTS.cloudControllerManager;
  const selector = { "k8s-app": NAME };
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: addonMeta(ADDON, "ServiceAccount", serviceAccount),
    },
    clusterRole(),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: addonMeta(ADDON, "ClusterRoleBinding", CLUSTER_ROLE),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CLUSTER_ROLE },
      subjects: [serviceAccountRef(serviceAccount)],
    },
    {
      // Reads the extension-apiserver-authentication ConfigMap (client CA of delegated authentication).
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: addonMeta(ADDON, "RoleBinding", "cloud-controller-manager:apiserver-authentication-reader"),
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "extension-apiserver-authentication-reader",
      },
      subjects: [serviceAccountRef(serviceAccount)],
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: addonMeta(ADDON, "DaemonSet", NAME, selector),
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels: addonMeta(ADDON, "DaemonSet", NAME, selector).labels },
          spec: podWithWebIdentity(
            {
              nodeSelector: { [CONTROL_PLANE_LABEL]: "" },
              tolerations: [
                // It must run before any node is initialised: it is the one that initialises them.
                { key: UNINITIALIZED_TAINT, operator: "Exists", effect: "NoSchedule" },
                { key: CONTROL_PLANE_LABEL, operator: "Exists", effect: "NoSchedule" },
                // Host network, so it runs before the pod network is up (the CNI marks nodes ready).
                { key: "node.kubernetes.io/not-ready", operator: "Exists" },
              ],
              // IMDS (hop limit 1) answers only host-network processes; the node's resolver,
              // not cluster DNS, which may not run yet (the chart's advice for this DaemonSet).
              hostNetwork: true,
              dnsPolicy: "Default",
              priorityClassName: "system-node-critical",
              containers: [
                {
                  name: NAME,
                  image: `${CLOUD_CONTROLLER_MANAGER_IMAGE}:v${input.version}`,
                  args: [
                    "--v=2",
                    "--cloud-provider=aws",
                    "--use-service-account-credentials=true",
                    // Routes are the CNI's business (overlay or native routing), not VPC route tables.
                    "--configure-cloud-routes=false",
                    // Names the load balancers and security groups it creates for Services.
                    `--cluster-name=${input.clusterName}`,
                  ],
                  resources: { requests: { cpu: "200m" } },
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
