/**
 * The termination lifecycle hook in the resource graph of the real program (index.ts) for the
 * dev and prod stacks, under Pulumi mocks: every worker ASG has exactly the drain hook, as its
 * own LifecycleHook resource (the group's `initialLifecycleHooks` apply only when a group is
 * created, so an existing pool would never get it), and no master ASG has one.
 */
import { TAG_ROLE } from "../../base/tags";
import { WORKER_DRAIN } from "../../base/workerDrain";
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";

const ASG = "aws:autoscaling/group:Group";
const HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook";
const results: Record<string, SynthResult> = {};

beforeAll(async () => {
  results.dev = await synthesize("dev");
  results.prod = await synthesize("prod");
});

const roleOf = (asg: RegisteredResource) =>
  (asg.inputs.tags as { key: string; value: string }[]).find((t) => t.key === TAG_ROLE)?.value;

describe.each(["dev", "prod"])("%s", (stack) => {
  test("every worker ASG has exactly the drain hook: terminating, bounded heartbeat, CONTINUE", () => {
    const workers = ofType(results[stack], ASG).filter((a) => roleOf(a) === "worker");
    const hooks = ofType(results[stack], HOOK);
    expect(workers.length).toBeGreaterThan(0);
    expect(hooks).toHaveLength(workers.length);
    for (const asg of workers) {
      // The pool's hook: a child of the same WorkerPool, naming the group's (Pulumi-derived) name.
      const mine = hooks.filter((h) => h.parent === asg.parent);
      expect({
        asg: asg.name,
        hooks: mine.map((h) => ({ ...h.inputs, autoscalingGroupName: undefined })),
      }).toEqual({
        asg: asg.name,
        hooks: [
          {
            name: "k8sha-worker-drain",
            lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
            heartbeatTimeout: 600,
            defaultResult: "CONTINUE",
            autoscalingGroupName: undefined,
          },
        ],
      });
      expect(mine[0]?.inputs.autoscalingGroupName).toBe(asg.state.name);
      expect(asg.inputs.initialLifecycleHooks).toBeUndefined();
    }
    // The same name the masters' handler completes (node.env's WORKER_DRAIN_HOOK).
    expect(WORKER_DRAIN.hookName).toBe("k8sha-worker-drain");
  });

  test("no master ASG has a lifecycle hook", () => {
    const masters = ofType(results[stack], ASG).filter((a) => roleOf(a) === "master");
    expect(masters.length).toBeGreaterThan(0);
    const hooked = new Set(ofType(results[stack], HOOK).map((h) => h.parent));
    for (const asg of masters) {
      expect({ asg: asg.name, hooked: hooked.has(asg.parent) }).toEqual({ asg: asg.name, hooked: false });
      expect(asg.inputs.initialLifecycleHooks).toBeUndefined();
    }
    // Every ASG is one or the other.
    expect(ofType(results[stack], ASG).every((a) => ["master", "worker"].includes(roleOf(a) ?? ""))).toBe(
      true,
    );
  });
});
