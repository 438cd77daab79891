/**
 * Each master's stable private address as the real program registers it (Pulumi mocks, no
 * AWS) for the dev and prod stacks and for dev in an existing VPC: one explicit /28
 * reservation per master in the second /28 of its own private subnet, the master's STABLE_IP
 * inside it and every master agreeing on MEMBER_ADDRESSES, an IAM grant that lets a master
 * assign an address only to its own tagged interface in its own subnet (and no worker at
 * all), and no master ASG that can launch before its reservation exists.
 *
 * Expected addresses are computed here with the test's own IPv4 arithmetic and, for the
 * three layouts, written out literally: none is read back from base/masterAddress.ts
 * (test/base/master-address.test.ts tests that function itself).
 */
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import { decodeUserData } from "../../policy/userData";
import {
  applyOverrides,
  type ConfigOverrides,
  MOCK_ACCOUNT_ID,
  ofType,
  type RegisteredResource,
  readStackConfig,
  synthesize,
} from "../../synth/mockRuntime";
import { EXISTING_VPC } from "../support/existingVpc";
import {
  childrenOf,
  depsOfType,
  descendantsOf,
  type Graph,
  indexGraph,
  list,
  only,
  rec,
} from "../support/graph";
import { grantsAction } from "../support/iam-evaluate";
import { block, contains, holds, intToIp } from "../support/ipv4Oracle";
import { parseNodeEnv } from "../support/nodeEnv";

const T = {
  master: "k8sha:controlplane:Master",
  workerPool: "k8sha:workers:WorkerPool",
  reservation: "aws:ec2/subnetCidrReservation:SubnetCidrReservation",
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  subnet: "aws:ec2/subnet:Subnet",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

/** Written out (not imported) so a renamed tag key or env path fails here. */
const NODE_ENV_PATH = "/etc/k8sha/node.env";
const ASSIGN = "ec2:AssignPrivateIpAddresses";

/** The spec, restated: the subnet's second /28, and master i at that block's base + 4 + i. */
function expectedFor(subnetCidr: string, index: number) {
  const second = block(subnetCidr).base + 16;
  return { reservation: `${intToIp(second)}/28`, address: intToIp(second + 4 + index) };
}

// --- IAM helpers ---------------------------------------------------------------------------

type Statement = Record<string, unknown>;

function statementsOf(policy: RegisteredResource): Statement[] {
  const doc = rec(JSON.parse(String(policy.inputs.policy)));
  return list(doc.Statement).map(rec);
}

// --- the three layouts ---------------------------------------------------------------------

const byo = EXISTING_VPC;

interface Layout {
  label: string;
  stack: string;
  overrides: ConfigOverrides;
  /** Hand-computed from the stack file (or `byo`): master i's reservation and address. */
  reservations: string[];
  addresses: string[];
}

const layouts: Layout[] = [
  {
    // 10.10.0.0/16, private subnets are the first three /20s.
    label: "dev",
    stack: "dev",
    overrides: {},
    reservations: ["10.10.0.16/28", "10.10.16.16/28", "10.10.32.16/28"],
    addresses: ["10.10.0.20", "10.10.16.21", "10.10.32.22"],
  },
  {
    // 10.64.0.0/16, same /20 layout.
    label: "prod",
    stack: "prod",
    overrides: {},
    reservations: ["10.64.0.16/28", "10.64.16.16/28", "10.64.32.16/28"],
    addresses: ["10.64.0.20", "10.64.16.21", "10.64.32.22"],
  },
  {
    label: "dev in an existing VPC",
    stack: "dev",
    overrides: { network: { natGateways: "single", existingVpc: byo } },
    reservations: ["10.50.0.16/28", "10.50.16.16/28", "10.50.32.16/28"],
    addresses: ["10.50.0.20", "10.50.16.21", "10.50.32.22"],
  },
];

interface Synth extends Graph {
  config: ClusterSpec;
  region: string;
}
const synths: Record<string, Synth> = {};

beforeAll(async () => {
  for (const layout of layouts) {
    const result = await synthesize(layout.stack, layout.overrides);
    const values = applyOverrides(readStackConfig(layout.stack), layout.overrides);
    synths[layout.label] = {
      ...indexGraph(result),
      config: parseConfig(values),
      region: String(values["aws:region"]),
    };
  }
});

/** A master with what its instance really gets: its ASG's subnet, template, user-data and policy. */
interface MasterView {
  index: number;
  master: RegisteredResource;
  asg: RegisteredResource;
  reservation: RegisteredResource;
  template: RegisteredResource;
  subnetId: string;
  subnetCidr: string;
  env: Record<string, string>;
  policy: RegisteredResource;
}

/**
 * The subnet CIDRs the master ASGs' subnet ids stand for: from the Subnet resources the program
 * creates (the mock's id is `<name>-id`), or, in an existing VPC, from the config the user gave.
 */
function subnetCidrs(s: Synth): Map<string, string> {
  const existing = s.config.network.existingVpc;
  if (existing) {
    return new Map(existing.privateSubnetIds.map((id, i) => [id, String(existing.privateSubnetCidrs[i])]));
  }
  return new Map(ofType(s.result, T.subnet).map((sn) => [`${sn.name}-id`, String(sn.inputs.cidrBlock)]));
}

function masters(s: Synth): MasterView[] {
  const cidrs = subnetCidrs(s);
  const views = ofType(s.result, T.master).map((master): MasterView => {
    const asg = only(childrenOf(s, master, T.asg), "ASG per master");
    const subnetId = String(only(list(asg.inputs.vpcZoneIdentifiers), "subnet per master ASG"));
    // The template the ASG launches, not merely one under the same component.
    const templateId = rec(asg.inputs.launchTemplate).id;
    const template = only(
      childrenOf(s, master, T.lt).filter((lt) => `${lt.name}-id` === templateId),
      "launch template of the master ASG",
    );
    const nodeEnv = only(
      decodeUserData(String(template.inputs.userData)).files.filter((f) => f.path === NODE_ENV_PATH),
      "node.env in master user-data",
    );
    return {
      // Master components are named <cluster>-cp-<index>; the ASG's member tag must agree (below).
      index: Number(/-(\d+)$/.exec(master.name)?.[1] ?? Number.NaN),
      master,
      asg,
      reservation: only(childrenOf(s, master, T.reservation), "address reservation per master"),
      template,
      subnetId,
      subnetCidr: cidrs.get(subnetId) ?? `(no CIDR known for ${subnetId})`,
      env: parseNodeEnv(nodeEnv.content),
      policy: only(descendantsOf(s, master, T.rolePolicy), "inline policy per master"),
    };
  });
  return views.sort((a, b) => a.index - b.index);
}

describe.each(layouts)("$label", (layout) => {
  const s = () => synths[layout.label] as Synth;

  test("masters are numbered 0..count-1 and each ASG carries its own member tag", () => {
    const views = masters(s());
    expect(views.map((v) => v.index)).toEqual(Array.from({ length: s().config.masters.count }, (_, i) => i));
    for (const v of views) {
      const tags = list(v.asg.inputs.tags).map(rec);
      expect(tags.find((t) => t.key === "k8sha.io/etcd-member")?.value).toBe(String(v.index));
    }
    // The hand-computed expectations below assume three masters; a different count must fail here.
    expect(views).toHaveLength(layout.addresses.length);
  });

  test("one explicit /28 reservation per master, on its ASG's subnet, past the subnet's first /28", () => {
    const views = masters(s());
    // No stray reservations elsewhere in the graph: exactly one per master, in total.
    expect(ofType(s().result, T.reservation)).toHaveLength(s().config.masters.count);
    for (const v of views) {
      const r = v.reservation.inputs;
      expect(r.reservationType).toBe("explicit");
      expect(r.subnetId).toBe(v.subnetId);
      const reserved = block(String(r.cidrBlock));
      const subnet = block(v.subnetCidr);
      expect(reserved.prefix).toBe(28);
      expect(contains(subnet, reserved)).toBe(true);
      // The first /28 holds the four addresses AWS reserves at a subnet's start (network, router, DNS, future).
      expect(reserved.base).not.toBe(subnet.base);
      expect(r.cidrBlock).toBe(expectedFor(v.subnetCidr, v.index).reservation);
      expect(r.cidrBlock).toBe(layout.reservations[v.index]);
    }
  });

  test("the reservations come from the subnets the masters run in", () => {
    const views = masters(s());
    const existing = s().config.network.existingVpc;
    if (existing) {
      // Nothing is created: the CIDRs can only come from existingVpc.privateSubnetCidrs.
      expect(ofType(s().result, T.subnet)).toEqual([]);
      expect(views.map((v) => v.subnetId)).toEqual(byo.privateSubnetIds);
      expect(views.map((v) => v.subnetCidr)).toEqual(byo.privateSubnetCidrs);
    } else {
      for (const v of views) {
        const subnet = only(depsOfType(s(), v.asg, T.subnet), "subnet the master ASG depends on");
        expect(`${subnet.name}-id`).toBe(v.subnetId);
        expect(v.reservation.dependencies).toContain(subnet.urn);
        expect(rec(subnet.inputs.tags)["kubernetes.io/role/internal-elb"]).toBe("1");
      }
    }
  });

  test("STABLE_IP lies in the master's reservation, is unique, and every master lists all of them", () => {
    const views = masters(s());
    const stable = views.map((v) => v.env.STABLE_IP ?? "");
    for (const v of views) {
      expect(holds(block(String(v.reservation.inputs.cidrBlock)), String(v.env.STABLE_IP))).toBe(true);
      expect(v.env.STABLE_IP).toBe(expectedFor(v.subnetCidr, v.index).address);
      expect(v.env.MASTER_INDEX).toBe(String(v.index));
    }
    expect(stable).toEqual(layout.addresses);
    expect(new Set(stable).size).toBe(views.length);
    // etcd's initial cluster is built from this list: one order, master 0 first, on every master.
    for (const v of views) expect(v.env.MEMBER_ADDRESSES).toBe(layout.addresses.join(" "));
  });

  test("a master may assign an address only to its own tagged interface in its own subnet", () => {
    const arn = (resource: string) => `arn:aws:ec2:${s().region}:${MOCK_ACCOUNT_ID}:${resource}`;
    for (const v of masters(s())) {
      // The instance profile the template uses waits on exactly this inline policy.
      expect(depsOfType(s(), v.template, T.rolePolicy).map((p) => p.urn)).toEqual([v.policy.urn]);
      const granting = statementsOf(v.policy).filter((st) => grantsAction(st, ASSIGN));
      expect(granting).toEqual([
        {
          Sid: "AssignOwnStableAddress",
          Effect: "Allow",
          Action: [ASSIGN],
          Resource: [arn("network-interface/*")],
          Condition: {
            StringEquals: {
              "ec2:Subnet": arn(`subnet/${v.subnetId}`),
              "aws:ResourceTag/k8sha.io/cluster": s().config.clusterName,
              "aws:ResourceTag/k8sha.io/role": "master",
              "aws:ResourceTag/k8sha.io/etcd-member": String(v.index),
            },
          },
        },
      ]);
      // The tag conditions can only match if the template tags the interfaces it launches.
      const eniTags = rec(
        only(
          list(v.template.inputs.tagSpecifications)
            .map(rec)
            .filter((t) => t.resourceType === "network-interface"),
          "network-interface tag specification",
        ).tags,
      );
      expect(eniTags).toMatchObject({
        "k8sha.io/cluster": s().config.clusterName,
        "k8sha.io/role": "master",
        "k8sha.io/etcd-member": String(v.index),
      });
    }
  });

  test("no worker role, nor any role outside a master, may assign private addresses", () => {
    const masterPolicies = new Set(masters(s()).map((v) => v.policy.urn));
    const others = ofType(s().result, T.rolePolicy).filter((p) => !masterPolicies.has(p.urn));
    const workerPolicies = ofType(s().result, T.workerPool).flatMap((pool) =>
      childrenOf(s(), pool, T.lt).flatMap((lt) => depsOfType(s(), lt, T.rolePolicy)),
    );
    expect(workerPolicies.length).toBeGreaterThan(0);
    for (const p of workerPolicies) expect(others.map((o) => o.urn)).toContain(p.urn);
    for (const p of others) {
      expect(
        statementsOf(p)
          .filter((st) => grantsAction(st, ASSIGN))
          .map((st) => st.Sid ?? "(no Sid)"),
      ).toEqual([]);
    }
  });

  test("no master ASG can launch before its reservation exists", () => {
    for (const v of masters(s())) {
      // Nothing in the ASG's inputs refers to the reservation: the edge is the explicit dependsOn.
      expect(JSON.stringify(v.asg.inputs)).not.toContain(v.reservation.name);
      expect(v.asg.dependencies).toContain(v.reservation.urn);
    }
  });
});
