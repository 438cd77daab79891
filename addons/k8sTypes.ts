/**
 * The Kubernetes objects the add-on manifests are made of, typed as far as this project writes
 * them: the fields of the upstream API types (k8s.io/api core/v1, apps/v1, rbac/v1, storage/v1,
 * policy/v1), with their JSON names. `kubectl apply` validates fields strictly by default
 * (`--validate=strict`), so a misspelled field would fail the whole apply on a master; typing the
 * objects catches it at compile time instead. No client library is pulled in for this: the
 * manifests only need the shape.
 */
import { ADDON_LABEL, ADDON_NAMESPACE, type AwsAddon } from "../base/addons";

export interface ObjectMeta {
  name: string;
  /** Absent on cluster-scoped objects. */
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The selector of a workload or a PodDisruptionBudget (equality only; that is all this project uses). */
export interface LabelSelector {
  matchLabels: Record<string, string>;
}

export interface Toleration {
  key?: string;
  operator: "Exists" | "Equal";
  value?: string;
  /** Absent: every effect. */
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  mountPropagation?: "None" | "HostToContainer" | "Bidirectional";
}

export interface ServiceAccountTokenProjection {
  audience: string;
  expirationSeconds: number;
  path: string;
}

export type Volume =
  | { name: string; hostPath: { path: string; type?: "Directory" | "DirectoryOrCreate" | "File" } }
  | { name: string; emptyDir: Record<string, never> }
  | { name: string; projected: { sources: { serviceAccountToken: ServiceAccountTokenProjection }[] } };

export interface ContainerPort {
  name: string;
  containerPort: number;
  protocol?: "TCP" | "UDP";
}

export interface Probe {
  httpGet: { path: string; port: string | number };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface ResourceRequirements {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  capabilities?: { drop: string[] };
  seccompProfile?: { type: "RuntimeDefault" };
}

export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: { type: "RuntimeDefault" };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: "IfNotPresent" | "Always";
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: ResourceRequirements;
  securityContext?: SecurityContext;
  lifecycle?: { preStop: { exec: { command: string[] } } };
  terminationMessagePolicy?: "File" | "FallbackToLogsOnError";
}

export interface NodeSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: { matchExpressions: NodeSelectorRequirement[] }[];
    };
  };
  podAntiAffinity?: {
    preferredDuringSchedulingIgnoredDuringExecution: {
      weight: number;
      podAffinityTerm: { labelSelector: LabelSelector; topologyKey: string };
    }[];
  };
}

export interface PodSpec {
  serviceAccountName: string;
  priorityClassName?: "system-node-critical" | "system-cluster-critical";
  hostNetwork?: boolean;
  dnsPolicy?: "ClusterFirst" | "ClusterFirstWithHostNet" | "Default";
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  securityContext?: PodSecurityContext;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  volumes?: Volume[];
}

export interface PodTemplateSpec {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

interface Typed<A extends string, K extends string> {
  apiVersion: A;
  kind: K;
  metadata: ObjectMeta;
}

export interface ServiceAccount extends Typed<"v1", "ServiceAccount"> {}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ClusterRole extends Typed<"rbac.authorization.k8s.io/v1", "ClusterRole"> {
  rules: PolicyRule[];
}

export interface Role extends Typed<"rbac.authorization.k8s.io/v1", "Role"> {
  rules: PolicyRule[];
}

export interface RoleRef {
  apiGroup: "rbac.authorization.k8s.io";
  kind: "ClusterRole" | "Role";
  name: string;
}

export interface ServiceAccountSubject {
  kind: "ServiceAccount";
  name: string;
  namespace: string;
}

export interface ClusterRoleBinding extends Typed<"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"> {
  roleRef: RoleRef;
  subjects: ServiceAccountSubject[];
}

export interface RoleBinding extends Typed<"rbac.authorization.k8s.io/v1", "RoleBinding"> {
  roleRef: RoleRef;
  subjects: ServiceAccountSubject[];
}

export interface DaemonSet extends Typed<"apps/v1", "DaemonSet"> {
  spec: {
    selector: LabelSelector;
    updateStrategy?: { type: "RollingUpdate"; rollingUpdate?: { maxUnavailable: string | number } };
    template: PodTemplateSpec;
  };
}

export interface Deployment extends Typed<"apps/v1", "Deployment"> {
  spec: {
    replicas: number;
    selector: LabelSelector;
    strategy?: { type: "RollingUpdate"; rollingUpdate?: { maxUnavailable: string | number } };
    template: PodTemplateSpec;
  };
}

export interface PodDisruptionBudget extends Typed<"policy/v1", "PodDisruptionBudget"> {
  spec: { selector: LabelSelector; maxUnavailable: number };
}

export interface CSIDriver extends Typed<"storage.k8s.io/v1", "CSIDriver"> {
  spec: {
    attachRequired: boolean;
    podInfoOnMount: boolean;
    fsGroupPolicy?: "File" | "ReadWriteOnceWithFSType" | "None";
    /** Field of storage.k8s.io/v1 from Kubernetes 1.33 (MutableCSINodeAllocatableCount). */
    nodeAllocatableUpdatePeriodSeconds?: number;
  };
}

export interface StorageClass extends Typed<"storage.k8s.io/v1", "StorageClass"> {
  provisioner: string;
  /** Every value a string: the API type is map[string]string, so `true` must be the text "true". */
  parameters: Record<string, string>;
  reclaimPolicy: "Delete" | "Retain";
  volumeBindingMode: "WaitForFirstConsumer" | "Immediate";
  allowVolumeExpansion: boolean;
}

/** Every kind an add-on manifest may hold. */
export type K8sObject =
  | ServiceAccount
  | ClusterRole
  | Role
  | ClusterRoleBinding
  | RoleBinding
  | DaemonSet
  | Deployment
  | PodDisruptionBudget
  | CSIDriver
  | StorageClass;

/** Kinds that have no namespace (their metadata carries none). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<K8sObject["kind"]> = new Set([
  "ClusterRole",
  "ClusterRoleBinding",
  "CSIDriver",
  "StorageClass",
]);

/** `app.kubernetes.io/managed-by`: the recommended label naming the tool that manages an object. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "k8sha";

/**
 * Metadata of an add-on object: the add-on label (how the applier finds the objects of a disabled
 * add-on to delete them) and the managed-by label, plus `labels`; the add-on namespace unless
 * the kind is cluster-scoped.
 */
export function addonMeta(
  addon: AwsAddon,
  kind: K8sObject["kind"],
  name: string,
  labels: Record<string, string> = {},
): ObjectMeta {
  return {
    name,
    ...(CLUSTER_SCOPED_KINDS.has(kind) ? {} : { namespace: ADDON_NAMESPACE }),
    labels: { ...labels, [ADDON_LABEL]: addon, [MANAGED_BY_LABEL]: MANAGED_BY },
  };
}

/** The subject of a binding: the add-on service account `name` in the add-on namespace. */
export function serviceAccountRef(name: string): ServiceAccountSubject {
  return { kind: "ServiceAccount", name, namespace: ADDON_NAMESPACE };
}
