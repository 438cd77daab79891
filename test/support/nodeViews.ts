/**
 * Each node component of a kind in a synthesized graph (a master, an etcd node) with its own
 * launch template, ASG and node.env, in index order, and each rolling gate's command: what the
 * graph tests read their expected values from.
 */
import { NODE_ENV_PATH } from "../../cloud-init/render-env";
import { decodeUserData } from "../../policy/userData";
import { ofType, type RegisteredResource } from "../../synth/mockRuntime";
import { childrenOf, type Graph, list, only, rec } from "./graph";
import { parseNodeEnv } from "./nodeEnv";

const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const COMMAND = "command:local:Command";
const ASG = "aws:autoscaling/group:Group";

export interface NodeView {
  /** The component's index (its name ends in `-<i>`). */
  index: number;
  lt: RegisteredResource;
  asg: RegisteredResource;
  /** Its launch template's node.env. */
  env: Record<string, string>;
}

/** The components of `type` (e.g. `k8sha:controlplane:Master`), index 0 first. */
export function nodeViews(g: Graph, type: string): NodeView[] {
  return ofType(g.result, type)
    .map((n) => {
      const lt = only(childrenOf(g, n, LAUNCH_TEMPLATE), `launch template of ${n.name}`);
      const nodeEnv = only(
        decodeUserData(String(lt.inputs.userData)).files.filter((f) => f.path === NODE_ENV_PATH),
        "node.env",
      );
      return {
        index: Number(/-(\d+)$/.exec(n.name)?.[1]),
        lt,
        asg: only(childrenOf(g, n, ASG), `ASG of ${n.name}`),
        env: parseNodeEnv(nodeEnv.content),
      };
    })
    .sort((a, b) => a.index - b.index);
}

/** The commands of the gate components of `gateType`, in member order (gate names end in `-<i>-roll`). */
export function gateCommands(g: Graph, gateType: string): RegisteredResource[] {
  const index = (r: RegisteredResource) => Number(/-(\d+)-roll$/.exec(r.name)?.[1]);
  return ofType(g.result, gateType)
    .sort((a, b) => index(a) - index(b))
    .map((gate) => only(childrenOf(g, gate, COMMAND), `command of ${gate.name}`));
}

/** The tags a launch template gives the instances it launches. */
export const instanceTags = (lt: RegisteredResource): Record<string, unknown> =>
  rec(
    list(lt.inputs.tagSpecifications)
      .map(rec)
      .find((s) => s.resourceType === "instance")?.tags,
  );

/** A local command's environment. */
export const envOf = (cmd: RegisteredResource) => rec(cmd.inputs.environment) as Record<string, string>;
