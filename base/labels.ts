/** Kubernetes node labels the project sets; the readiness gate and the pools agree on them through here. */

/** Every worker carries `k8sha.io/pool=<pool name>`; the readiness gate counts Ready nodes per pool by it. */
export const POOL_LABEL = "k8sha.io/pool";
