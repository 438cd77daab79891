/**
 * The drain of a terminating worker: the lifecycle hook every worker ASG carries and the bounds
 * of the masters' handler that completes it (cloud-init/lib/worker-drain.sh). Fixed facts, not
 * config: the hook name is what the handler completes, so both sides read it from here (bash
 * through node.env).
 */
export const WORKER_DRAIN = {
  /** The hook's name on every worker ASG; `complete-lifecycle-action` names it. */
  hookName: "k8sha-worker-drain",
  /** `autoscaling:EC2_INSTANCE_TERMINATING`: the instance waits in `Terminating:Wait`. */
  lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
  /**
   * Seconds the ASG waits for a heartbeat or completion. A dead handler (no master, no leader)
   * delays a termination by this much, never longer: then the default result applies.
   */
  heartbeatTimeoutSeconds: 600,
  /** What the ASG does at the timeout: terminate anyway. ABANDON would do the same for a terminating instance, but says "failed". */
  defaultResult: "CONTINUE",
  /**
   * The handler's bound on one drain (kubectl drain --timeout, with heartbeats every quarter
   * of the heartbeat timeout meanwhile): after it, a drain a PodDisruptionBudget blocks is
   * logged and the termination completed anyway.
   */
  drainTimeoutSeconds: 900,
} as const;
