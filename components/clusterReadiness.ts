import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/types";
import type { ApiLoadBalancer } from "./apiLoadBalancer";
import type { WorkerPool } from "./nodes/workerPool";
import type { ClusterPki } from "./pki";
import { ReadinessGate } from "./readinessGate";

/** What `Cluster` hands its readiness gate. */
export interface ClusterReadinessParts {
  spec: ClusterSpec;
  /** Zones of the cluster: a zonal pool's minSize holds in each. */
  zoneCount: number;
  apiLoadBalancer: ApiLoadBalancer;
  pki: ClusterPki;
  /** What the gate waits for (components: every resource inside them). */
  waitFor: pulumi.Resource[];
  /** Same order as `spec.workerPools`: their template versions re-run the gate. */
  workerPools: WorkerPool[];
}

/** `pulumi up` waits until the API answers and the masters and each pool's minimum are Ready. */
export function clusterReadinessGate(
  name: string,
  parts: ClusterReadinessParts,
  opts: pulumi.ComponentResourceOptions,
): ReadinessGate {
  const { spec, pki } = parts;
  return new ReadinessGate(
    name,
    {
      server: parts.apiLoadBalancer.endpoint,
      caCertPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
      masterCount: spec.masters.count,
      // A zonal pool's nodes share the pool label.
      pools: spec.workerPools.map((p) => ({
        name: p.name,
        minReady: p.zonal ? p.minSize * parts.zoneCount : p.minSize,
      })),
      timeoutMinutes: spec.readinessGate.timeoutMinutes,
      waitFor: parts.waitFor,
      rerunWhen: parts.workerPools.map((p) => p.launchTemplateVersion),
    },
    opts,
  );
}
