/**
 * The Amazon EBS CSI driver (kubernetes-sigs/aws-ebs-csi-driver), modelled on
 * deploy/kubernetes/base of the release (CSIDriver, controller Deployment, node DaemonSet,
 * RBAC, PDB) and charts/aws-ebs-csi-driver/templates (which fields depend on the Kubernetes
 * minor). The controller creates, attaches, resizes and deletes volumes with its IAM role; the
 * node plugin formats and mounts them and needs no AWS credentials.
 * No snapshotter sidecar: it needs the VolumeSnapshot CRDs and snapshot controller
 * (kubernetes-csi/external-snapshotter), which this project does not install (docs/addons.md).
 */
import { ADDON_SERVICE_ACCOUNTS } from "../base/addons";
import { TAG_CLUSTER } from "../base/tags";
import { CONTROL_PLANE_LABEL } from "./cloudControllerManager";
import { ebsCsiDriverRbac, NODE_SERVICE_ACCOUNT } from "./ebsCsiRbac";
import { addonMeta, type Container, type K8sObject } from "./k8sTypes";
import type { EbsCsiSidecarTags } from "./versions";
import { podWithWebIdentity, type WebIdentity } from "./webIdentity";

const ADDON = "ebsCsiDriver";
export const EBS_CSI_DRIVER_NAME = "ebs.csi.aws.com";
export const EBS_CSI_DRIVER_IMAGE = "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver";
const SIDECARS = "public.ecr.aws/csi-components";
const CONTROLLER_SOCKET_DIR = "/var/lib/csi/sockets/pluginproxy/";
const PLUGIN_DIR = `/var/lib/kubelet/plugins/${EBS_CSI_DRIVER_NAME}/`;

export interface EbsCsiDriverInput {
  clusterName: string;
  version: string;
  sidecars: EbsCsiSidecarTags;
  kubernetesMinor: number;
  identity: WebIdentity;
}

const HARDENED = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  seccompProfile: { type: "RuntimeDefault" },
} as const;

/** A controller sidecar talking to the plugin over the shared socket. */
function sidecar(name: string, image: string, args: string[]): Container {
  return {
    name,
    image: `${SIDECARS}/${image}`,
    args: ["--csi-address=$(ADDRESS)", "--v=2", "--leader-election=true", ...args],
    env: [{ name: "ADDRESS", value: `${CONTROLLER_SOCKET_DIR}csi.sock` }],
    volumeMounts: [{ name: "socket-dir", mountPath: CONTROLLER_SOCKET_DIR }],
    resources: { requests: { cpu: "10m", memory: "40Mi" }, limits: { memory: "256Mi" } },
    securityContext: HARDENED,
  };
}

function controller(input: EbsCsiDriverInput): K8sObject {
  const selector = { app: "ebs-csi-controller" };
  const s = input.sidecars;
  const plugin: Container = {
    name: "ebs-plugin",
    image: `${EBS_CSI_DRIVER_IMAGE}:v${input.version}`,
    args: [
      "controller",
      "--endpoint=$(CSI_ENDPOINT)",
      "--batching=true",
      "--logging-format=text",
      "--v=2",
      // The driver itself adds ebs.csi.aws.com/cluster=true (pkg/cloud/cloud.go AwsEbsDriverTagKey);
      // the cluster tag lets the IAM policy and the operator tell this cluster's volumes apart.
      `--extra-tags=${TAG_CLUSTER}=${input.clusterName}`,
      // kubernetes.io/cluster/<name>=owned, KubernetesCluster and Name on every volume (pkg/driver/controller.go).
      `--k8s-tag-cluster-id=${input.clusterName}`,
    ],
    env: [
      { name: "CSI_ENDPOINT", value: `unix://${CONTROLLER_SOCKET_DIR}csi.sock` },
      { name: "CSI_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    ],
    volumeMounts: [{ name: "socket-dir", mountPath: CONTROLLER_SOCKET_DIR }],
    ports: [{ name: "healthz", containerPort: 9808, protocol: "TCP" }],
    livenessProbe: {
      httpGet: { path: "/healthz", port: "healthz" },
      initialDelaySeconds: 10,
      timeoutSeconds: 60,
    },
    readinessProbe: {
      httpGet: { path: "/healthz", port: "healthz" },
      initialDelaySeconds: 10,
      timeoutSeconds: 60,
    },
    resources: { requests: { cpu: "10m", memory: "40Mi" }, limits: { memory: "256Mi" } },
    securityContext: HARDENED,
  };
  // The chart passes this gate from Kubernetes 1.33, whose CSINode allocatable count is mutable.
  const attacherGates =
    input.kubernetesMinor >= 33 ? ["--feature-gates=MutableCSINodeAllocatableCount=true"] : [];
  const labels = addonMeta(ADDON, "Deployment", "ebs-csi-controller", selector).labels;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: addonMeta(ADDON, "Deployment", "ebs-csi-controller", selector),
    spec: {
      replicas: 2,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: podWithWebIdentity(
          {
            // On the masters, the stable nodes: worker pools scale in and out under the autoscaler.
            nodeSelector: { "kubernetes.io/os": "linux", [CONTROL_PLANE_LABEL]: "" },
            tolerations: [
              { key: CONTROL_PLANE_LABEL, operator: "Exists", effect: "NoSchedule" },
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
            ],
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: selector },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            priorityClassName: "system-cluster-critical",
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
            containers: [
              plugin,
              sidecar("csi-provisioner", `csi-provisioner:${s.provisioner}`, [
                "--timeout=60s",
                "--feature-gates=Topology=true",
                "--extra-create-metadata",
                "--default-fstype=ext4",
              ]),
              sidecar("csi-attacher", `csi-attacher:${s.attacher}`, ["--timeout=6m", ...attacherGates]),
              sidecar("csi-resizer", `csi-resizer:${s.resizer}`, [
                "--timeout=60s",
                "--handle-volume-inuse-error=false",
              ]),
              {
                name: "liveness-probe",
                image: `${SIDECARS}/livenessprobe:${s.livenessProbe}`,
                args: ["--csi-address=/csi/csi.sock", "--probe-timeout=60s"],
                volumeMounts: [{ name: "socket-dir", mountPath: "/csi" }],
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "32Mi" } },
                securityContext: HARDENED,
              },
            ],
            volumes: [{ name: "socket-dir", emptyDir: {} }],
          },
          input.identity,
          ["ebs-plugin"],
        ),
      },
    },
  };
}

function node(input: EbsCsiDriverInput): K8sObject {
  const selector = { app: "ebs-csi-node" };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: addonMeta(ADDON, "DaemonSet", "ebs-csi-node", selector),
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%" } },
      template: {
        metadata: { labels: addonMeta(ADDON, "DaemonSet", "ebs-csi-node", selector).labels },
        spec: {
          serviceAccountName: NODE_SERVICE_ACCOUNT,
          nodeSelector: { "kubernetes.io/os": "linux" },
          // Every node, whatever its taints: a pod with a volume may be scheduled anywhere.
          tolerations: [{ operator: "Exists" }],
          priorityClassName: "system-node-critical",
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, fsGroup: 0 },
          containers: [
            {
              name: "ebs-plugin",
              image: `${EBS_CSI_DRIVER_IMAGE}:v${input.version}`,
              args: [
                "node",
                "--endpoint=$(CSI_ENDPOINT)",
                `--csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/${EBS_CSI_DRIVER_NAME}/`,
                // Not on the host network, so IMDS (hop limit 1) never answers: read the
                // instance from the Node the cloud-controller-manager initialised (provider ID,
                // instance-type and zone labels; pkg/cloud/metadata/k8s.go) instead of first
                // waiting for IMDS to time out.
                "--metadata-sources=kubernetes",
                "--logging-format=text",
                "--v=2",
              ],
              env: [
                { name: "CSI_ENDPOINT", value: "unix:/csi/csi.sock" },
                { name: "CSI_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              ],
              volumeMounts: [
                { name: "kubelet-dir", mountPath: "/var/lib/kubelet", mountPropagation: "Bidirectional" },
                { name: "plugin-dir", mountPath: "/csi" },
                { name: "device-dir", mountPath: "/dev" },
              ],
              ports: [{ name: "healthz", containerPort: 9808, protocol: "TCP" }],
              livenessProbe: {
                httpGet: { path: "/healthz", port: "healthz" },
                initialDelaySeconds: 10,
                timeoutSeconds: 3,
              },
              resources: { requests: { cpu: "10m", memory: "40Mi" }, limits: { memory: "256Mi" } },
              securityContext: { privileged: true, readOnlyRootFilesystem: true },
              lifecycle: { preStop: { exec: { command: ["/bin/aws-ebs-csi-driver", "pre-stop-hook"] } } },
            },
            {
              name: "node-driver-registrar",
              image: `${SIDECARS}/csi-node-driver-registrar:${input.sidecars.nodeDriverRegistrar}`,
              args: [
                "--csi-address=$(ADDRESS)",
                "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)",
                "--http-endpoint=0.0.0.0:9809",
                "--v=2",
              ],
              env: [
                { name: "ADDRESS", value: "/csi/csi.sock" },
                { name: "DRIVER_REG_SOCK_PATH", value: `${PLUGIN_DIR}csi.sock` },
              ],
              ports: [{ name: "healthz-ndr", containerPort: 9809 }],
              livenessProbe: { httpGet: { path: "/healthz", port: "healthz-ndr" }, initialDelaySeconds: 30 },
              volumeMounts: [
                { name: "plugin-dir", mountPath: "/csi" },
                { name: "registration-dir", mountPath: "/registration" },
                { name: "probe-dir", mountPath: PLUGIN_DIR },
              ],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
            },
            {
              name: "liveness-probe",
              image: `${SIDECARS}/livenessprobe:${input.sidecars.livenessProbe}`,
              args: ["--csi-address=/csi/csi.sock"],
              volumeMounts: [{ name: "plugin-dir", mountPath: "/csi" }],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
            },
          ],
          volumes: [
            { name: "kubelet-dir", hostPath: { path: "/var/lib/kubelet", type: "Directory" } },
            { name: "plugin-dir", hostPath: { path: PLUGIN_DIR, type: "DirectoryOrCreate" } },
            {
              name: "registration-dir",
              hostPath: { path: "/var/lib/kubelet/plugins_registry/", type: "Directory" },
            },
            { name: "device-dir", hostPath: { path: "/dev", type: "Directory" } },
            { name: "probe-dir", emptyDir: {} },
          ],
        },
      },
    },
  };
}

export function ebsCsiDriverObjects(input: EbsCsiDriverInput): K8sObject[] {
  const controllerSa = ADDON_SERVICE_ACCOUNTS.ebsCsiDriver;
  return [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "CSIDriver",
      metadata: addonMeta(ADDON, "CSIDriver", EBS_CSI_DRIVER_NAME),
      spec: {
        attachRequired: true,
        podInfoOnMount: false,
        fsGroupPolicy: "File",
        // The chart's default, a field from 1.33 (strict validation would refuse it before).
        ...(input.kubernetesMinor >= 33 ? { nodeAllocatableUpdatePeriodSeconds: 10 } : {}),
      },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: addonMeta(ADDON, "ServiceAccount", controllerSa) },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: addonMeta(ADDON, "ServiceAccount", NODE_SERVICE_ACCOUNT),
    },
    ...ebsCsiDriverRbac(controllerSa),
    controller(input),
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: addonMeta(ADDON, "PodDisruptionBudget", "ebs-csi-controller"),
      spec: { selector: { matchLabels: { app: "ebs-csi-controller" } }, maxUnavailable: 1 },
    },
    node(input),
  ];
}
