/**
 * RBAC of the EBS CSI driver: deploy/kubernetes/base/clusterrole-*.yaml, clusterrolebinding-*.yaml,
 * role-leases.yaml and rolebinding-leases.yaml of kubernetes-sigs/aws-ebs-csi-driver, as released.
 * The controller's sidecars (provisioner, attacher, resizer) share the controller's service
 * account; the node plugin has its own, without an IAM role.
 */
import {
  addonMeta,
  type ClusterRole,
  type ClusterRoleBinding,
  type K8sObject,
  type PolicyRule,
  serviceAccountRef,
} from "./k8sTypes";

const ADDON = "ebsCsiDriver";
export const NODE_SERVICE_ACCOUNT = "ebs-csi-node-sa";

const core = (resources: string[], verbs: string[]): PolicyRule => ({ apiGroups: [""], resources, verbs });
const storage = (resources: string[], verbs: string[]): PolicyRule => ({
  apiGroups: ["storage.k8s.io"],
  resources,
  verbs,
});
const WATCH = ["get", "list", "watch"];

/** deploy/kubernetes/base/clusterrole-{provisioner,attacher,resizer,csi-node}.yaml, with their bindings' names. */
const CLUSTER_ROLES: Record<string, { binding: string; rules: PolicyRule[] }> = {
  "ebs-external-provisioner-role": {
    binding: "ebs-csi-provisioner-binding",
    rules: [
      core(["persistentvolumes"], [...WATCH, "create", "patch", "delete"]),
      core(["persistentvolumeclaims"], [...WATCH, "update"]),
      storage(["storageclasses"], WATCH),
      core(["events"], ["list", "watch", "create", "update", "patch"]),
      { apiGroups: ["snapshot.storage.k8s.io"], resources: ["volumesnapshots"], verbs: [...WATCH, "update"] },
      {
        apiGroups: ["snapshot.storage.k8s.io"],
        resources: ["volumesnapshotcontents"],
        verbs: ["get", "list"],
      },
      storage(["csinodes"], WATCH),
      core(["nodes"], WATCH),
      storage(["volumeattachments"], WATCH),
      storage(["volumeattributesclasses"], ["get"]),
    ],
  },
  "ebs-external-attacher-role": {
    binding: "ebs-csi-attacher-binding",
    rules: [
      core(["persistentvolumes"], [...WATCH, "patch"]),
      storage(["csinodes"], WATCH),
      storage(["volumeattachments"], [...WATCH, "patch"]),
      storage(["volumeattachments/status"], ["patch"]),
    ],
  },
  "ebs-external-resizer-role": {
    binding: "ebs-csi-resizer-binding",
    rules: [
      core(["persistentvolumes"], [...WATCH, "patch"]),
      core(["persistentvolumeclaims"], WATCH),
      core(["pods"], WATCH),
      core(["persistentvolumeclaims/status"], ["patch"]),
      core(["events"], ["list", "watch", "create", "update", "patch"]),
      storage(["volumeattributesclasses"], WATCH),
    ],
  },
  // `get nodes`: the node plugin reads its instance ID, type and zone from its Node object.
  "ebs-csi-node-role": {
    binding: "ebs-csi-node-getter-binding",
    rules: [
      storage(["volumeattachments"], WATCH),
      core(["nodes"], ["get", "patch", "list", "watch"]),
      storage(["csinodes"], ["get"]),
    ],
  },
};

export function ebsCsiDriverRbac(controllerSa: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const [name, { binding: bindingName, rules }] of Object.entries(CLUSTER_ROLES)) {
    const role: ClusterRole = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: addonMeta(ADDON, "ClusterRole", name),
      rules,
    };
    const binding: ClusterRoleBinding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: addonMeta(ADDON, "ClusterRoleBinding", bindingName),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [serviceAccountRef(name === "ebs-csi-node-role" ? NODE_SERVICE_ACCOUNT : controllerSa)],
    };
    objects.push(role, binding);
  }
  objects.push(
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: addonMeta(ADDON, "Role", "ebs-csi-leases-role"),
      rules: [
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          verbs: ["get", "watch", "list", "delete", "update", "create"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: addonMeta(ADDON, "RoleBinding", "ebs-csi-leases-rolebinding"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "ebs-csi-leases-role" },
      subjects: [serviceAccountRef(controllerSa)],
    },
  );
  return objects;
}
