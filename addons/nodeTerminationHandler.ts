/**
 * aws-node-termination-handler (aws/aws-node-termination-handler) in IMDS mode: a pod on every
 * worker polls its instance's metadata for a spot interruption notice or a scheduled
 * maintenance event and cordons and drains the node in time. It calls no AWS API, so it has no
 * IAM role. Modelled on config/helm/aws-node-termination-handler (templates/daemonset.linux.yaml,
 * templates/clusterrole.yaml, values.yaml) of that repository; its settings are the environment
 * variables of pkg/config/config.go.
 */
import { CONTROL_PLANE_LABEL } from "./cloudControllerManager";
import { addonMeta, type DaemonSet, type EnvVar, type K8sObject, serviceAccountRef } from "./k8sTypes";

const ADDON = "nodeTerminationHandler";
const NAME = "aws-node-termination-handler";
export const NODE_TERMINATION_HANDLER_SERVICE_ACCOUNT = NAME;
export const NODE_TERMINATION_HANDLER_IMAGE = "public.ecr.aws/aws-ec2/aws-node-termination-handler";

export interface NodeTerminationHandlerInput {
  version: string;
}

const fromField = (name: string, fieldPath: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});

/** The handler's configuration (pkg/config/config.go keys). */
function settings(): EnvVar[] {
  const values: Record<string, string> = {
    // IMDS mode: the SQS queue processor would need a queue, EventBridge rules and an IAM role.
    ENABLE_SQS_TERMINATION_DRAINING: "false",
    ENABLE_SPOT_INTERRUPTION_DRAINING: "true",
    ENABLE_SCHEDULED_EVENT_DRAINING: "true",
    // ASG scale-in and instance refresh are drained by the masters' lifecycle-hook handler
    // (cloud-init/lib/worker-drain.sh), which also completes the hook; two drainers of the
    // same node would only race.
    ENABLE_ASG_LIFECYCLE_DRAINING: "false",
    // A rebalance recommendation is only advice; the spot notice comes two minutes before.
    ENABLE_REBALANCE_MONITORING: "false",
    ENABLE_REBALANCE_DRAINING: "false",
    DELETE_LOCAL_DATA: "true",
    IGNORE_DAEMON_SETS: "true",
    // Each pod keeps its own grace period (-1); the whole drain is bounded at 120 s, the
    // two minutes a spot interruption notice gives.
    POD_TERMINATION_GRACE_PERIOD: "-1",
    NODE_TERMINATION_GRACE_PERIOD: "120",
    TAINT_NODE: "false",
    EMIT_KUBERNETES_EVENTS: "true",
    METADATA_TRIES: "3",
    UPTIME_FROM_FILE: "/proc/uptime",
    ENABLE_PROBES_SERVER: "true",
    PROBES_SERVER_PORT: "8080",
    PROBES_SERVER_ENDPOINT: "/healthz",
    LOG_LEVEL: "info",
    JSON_LOGGING: "false",
  };
  return [
    fromField("NODE_NAME", "spec.nodeName"),
    fromField("POD_NAME", "metadata.name"),
    fromField("NAMESPACE", "metadata.namespace"),
    ...Object.entries(values).map(([name, value]) => ({ name, value })),
  ];
}

function daemonSet(input: NodeTerminationHandlerInput): DaemonSet {
  const selector = { "app.kubernetes.io/name": NAME };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: addonMeta(ADDON, "DaemonSet", NAME, selector),
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%" } },
      template: {
        metadata: { labels: addonMeta(ADDON, "DaemonSet", NAME, selector).labels },
        spec: {
          serviceAccountName: NODE_TERMINATION_HANDLER_SERVICE_ACCOUNT,
          // IMDS answers only the host network: the instances have a hop limit of 1.
          hostNetwork: true,
          dnsPolicy: "ClusterFirstWithHostNet",
          priorityClassName: "system-node-critical",
          nodeSelector: { "kubernetes.io/os": "linux" },
          // Workers only: masters are on demand, and the control-plane roll cordons and drains
          // a master itself before replacing it (docs/rolling.md).
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: CONTROL_PLANE_LABEL, operator: "DoesNotExist" }] },
                ],
              },
            },
          },
          // Every worker, whatever its taints (the chart's daemonsetTolerations).
          tolerations: [{ operator: "Exists" }],
          securityContext: { fsGroup: 1000 },
          containers: [
            {
              name: NAME,
              image: `${NODE_TERMINATION_HANDLER_IMAGE}:v${input.version}`,
              env: settings(),
              ports: [{ name: "liveness-probe", containerPort: 8080, protocol: "TCP" }],
              livenessProbe: {
                httpGet: { path: "/healthz", port: 8080 },
                initialDelaySeconds: 5,
                periodSeconds: 5,
              },
              securityContext: {
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                runAsUser: 1000,
                runAsGroup: 1000,
              },
              volumeMounts: [{ name: "uptime", mountPath: "/proc/uptime", readOnly: true }],
            },
          ],
          volumes: [{ name: "uptime", hostPath: { path: "/proc/uptime" } }],
        },
      },
    },
  };
}

export function nodeTerminationHandlerObjects(input: NodeTerminationHandlerInput): K8sObject[] {
  const core = (resources: string[], verbs: string[]) => ({ apiGroups: [""], resources, verbs });
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: addonMeta(ADDON, "ServiceAccount", NODE_TERMINATION_HANDLER_SERVICE_ACCOUNT),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: addonMeta(ADDON, "ClusterRole", NAME),
      rules: [
        core(["nodes"], ["get", "list", "patch", "update"]),
        core(["pods"], ["list", "get"]),
        core(["pods/eviction"], ["create"]),
        { apiGroups: ["extensions"], resources: ["daemonsets"], verbs: ["get"] },
        { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get"] },
        // EMIT_KUBERNETES_EVENTS (the chart adds this rule with emitKubernetesEvents).
        core(["events"], ["create", "patch"]),
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: addonMeta(ADDON, "ClusterRoleBinding", NAME),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NAME },
      subjects: [serviceAccountRef(NODE_TERMINATION_HANDLER_SERVICE_ACCOUNT)],
    },
    daemonSet(input),
  ];
}
