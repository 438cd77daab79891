/**
 * Each node component of a kind in a synthesized graph (a master, an etcd node) with its own
 * launch template, ASG and node.env, in index order: what the graph tests read their expected
 * values from.
 */
import { NODE_ENV_PATH } from "../../cloud-init/render-env";
import { decodeUserData } from "../../policy/userData";
import { ofType, type RegisteredResource } from "../../synth/mockRuntime";
import { childrenOf, type Graph, only } from "./graph";
import { parseNodeEnv } from "./nodeEnv";

const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
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
