/**
 * The dedicated etcd cluster (external topology) as it registers under Pulumi mocks, built on
 * its own: three members in three zones, each with a 1/1/1 ASG in its own subnet, an encrypted
 * volume in its zone, a role whose policy reaches only its own volume, and a stable address in
 * the third /28 of its subnet. Expected addresses are written out, not read from base/.
 */
import * as path from "node:path";
import type { PolicyDocument } from "../../components/iam/policyDocument";
import { decodeUserData } from "../../policy/userData";
import {
  type RegisteredResource,
  type SynthResult,
  synthesizeInCurrentRegistry,
} from "../../synth/mockRuntime";
import { ETCD_PROGRAM } from "../support/etcdClusterFixture";
import { childrenOf, depsOfType, type Graph, indexGraph, list, only, rec } from "../support/graph";
import { isAllowed } from "../support/iam-evaluate";
import { parseNodeEnv } from "../support/nodeEnv";

const T = {
  cluster: "k8sha:etcd:EtcdCluster",
  node: "k8sha:etcd:EtcdNode",
  nodeRole: "k8sha:iam:NodeRole",
  volume: "aws:ebs/volume:Volume",
  reservation: "aws:ec2/subnetCidrReservation:SubnetCidrReservation",
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
} as const;
const NODE_ENV_PATH = "/etc/k8sha/node.env";

/** 10.10.{0,16,32}.0/20: the third /28 starts at .32, member i's address is .32 + 4 + i. */
const EXPECTED = {
  reservations: ["10.10.0.32/28", "10.10.16.32/28", "10.10.32.32/28"],
  addresses: ["10.10.0.36", "10.10.16.37", "10.10.32.38"],
};

let g: Graph;
let result: SynthResult;

beforeAll(async () => {
  result = await synthesizeInCurrentRegistry(
    "unit",
    {},
    path.join(__dirname, "../support/etcdClusterProgram"),
  );
  g = indexGraph(result);
});

interface Member {
  index: number;
  node: RegisteredResource;
  asg: RegisteredResource;
  volume: RegisteredResource;
  reservation: RegisteredResource;
  template: RegisteredResource;
  /** The inline policy as IAM gets it (the role policy resource's JSON). */
  policy: PolicyDocument;
  env: Record<string, string>;
}

function members(): Member[] {
  const cluster = only(
    result.resources.filter((r) => r.type === T.cluster),
    "EtcdCluster",
  );
  return childrenOf(g, cluster, T.node)
    .map((node): Member => {
      const template = only(childrenOf(g, node, T.lt), "launch template per etcd node");
      const nodeEnv = only(
        decodeUserData(String(template.inputs.userData)).files.filter((f) => f.path === NODE_ENV_PATH),
        "node.env in etcd user-data",
      );
      const role = only(childrenOf(g, node, T.nodeRole), "NodeRole per etcd node");
      return {
        index: Number(/-(\d+)$/.exec(node.name)?.[1] ?? Number.NaN),
        node,
        asg: only(childrenOf(g, node, T.asg), "ASG per etcd node"),
        volume: only(childrenOf(g, node, T.volume), "etcd volume per etcd node"),
        reservation: only(childrenOf(g, node, T.reservation), "reservation per etcd node"),
        template,
        policy: JSON.parse(String(only(childrenOf(g, role, T.rolePolicy), "inline policy").inputs.policy)),
        env: parseNodeEnv(nodeEnv.content),
      };
    })
    .sort((a, b) => a.index - b.index);
}

const tagsOf = (r: RegisteredResource) => rec(r.inputs.tags);
const volumeArn = (m: Member) => String(m.volume.state.arn);

test("three EtcdNode components under the EtcdCluster, every resource parented below one of them", () => {
  const ms = members();
  expect(ms.map((m) => m.index)).toEqual([0, 1, 2]);
  const cluster = only(
    result.resources.filter((r) => r.type === T.cluster),
    "EtcdCluster",
  );
  // Every custom resource of the program sits below the cluster (`{ parent: this }` all the way).
  const underCluster = (r: RegisteredResource): boolean => {
    const parent = g.byUrn.get(r.parent);
    return parent !== undefined && (parent.urn === cluster.urn || underCluster(parent));
  };
  const custom = result.resources.filter((r) => r.custom);
  expect(custom.length).toBeGreaterThanOrEqual(3 * 7);
  expect(custom.filter((r) => !underCluster(r)).map((r) => `${r.type} ${r.name}`)).toEqual([]);
  expect(result.resources.filter((r) => r.type === T.targetGroup)).toEqual([]);
});

test("each ASG is 1/1/1, pinned to its own zone's subnet, EC2 health, no target group, after its reservation", () => {
  for (const m of members()) {
    const a = m.asg.inputs;
    expect([a.minSize, a.maxSize, a.desiredCapacity]).toEqual([1, 1, 1]);
    expect(list(a.vpcZoneIdentifiers)).toEqual([ETCD_PROGRAM.subnetIds[m.index]]);
    expect(a.name).toBe(`unit-etcd-${m.index}`);
    expect(a.healthCheckType).toBe("EC2");
    expect(a.targetGroupArns ?? []).toEqual([]);
    expect(depsOfType(g, m.asg, T.reservation).map((r) => r.urn)).toEqual([m.reservation.urn]);
    const tags = list(a.tags).map(rec);
    expect(tags.find((t) => t.key === "k8sha.io/role")).toMatchObject({
      value: "etcd",
      propagateAtLaunch: true,
    });
    expect(tags.find((t) => t.key === "k8sha.io/etcd-member")?.value).toBe(String(m.index));
  }
});

test("each volume is encrypted, in its member's zone, kept on delete, tagged for its member", () => {
  const ms = members();
  for (const m of ms) {
    expect(m.volume.inputs).toMatchObject({ encrypted: true, availabilityZone: ETCD_PROGRAM.zones[m.index] });
    expect(m.volume.inputs.kmsKeyId).toBeTruthy();
    expect(m.volume.options.retainOnDelete).toBe(true);
    expect(tagsOf(m.volume)).toMatchObject({
      "k8sha.io/role": "etcd",
      "k8sha.io/etcd-member": String(m.index),
    });
  }
  expect(new Set(ms.map(volumeArn)).size).toBe(3);
});

test("each role's policy may attach its own volume only, onto its own member's etcd instance", () => {
  const ms = members();
  const instance = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123";
  for (const m of ms) {
    const ours = { "aws:ResourceTag/k8sha.io/cluster": "unit" };
    const attach = (resource: string, context: Record<string, string>) =>
      isAllowed([m.policy], { action: "ec2:AttachVolume", resource, context });
    for (const other of ms)
      expect([m.index, other.index, attach(volumeArn(other), ours)]).toEqual([
        m.index,
        other.index,
        other.index === m.index,
      ]);
    const member = (role: string, index: number) => ({
      ...ours,
      "aws:ResourceTag/k8sha.io/role": role,
      "aws:ResourceTag/k8sha.io/etcd-member": String(index),
    });
    expect(attach(instance, member("etcd", m.index))).toBe(true);
    expect(attach(instance, member("etcd", (m.index + 1) % 3))).toBe(false);
    expect(attach(instance, member("master", m.index))).toBe(false);
  }
});

test("each reservation is the third /28 of its member's subnet; user-data names it, the volume and every member", () => {
  const ms = members();
  expect(result.resources.filter((r) => r.type === T.reservation)).toHaveLength(3);
  for (const m of ms) {
    expect(m.reservation.inputs).toMatchObject({
      subnetId: ETCD_PROGRAM.subnetIds[m.index],
      cidrBlock: EXPECTED.reservations[m.index],
      reservationType: "explicit",
    });
    expect(m.env).toMatchObject({
      K8SHA_ROLE: "etcd",
      ETCD_MEMBER: String(m.index),
      ETCD_MEMBER_COUNT: "3",
      AVAILABILITY_ZONE: ETCD_PROGRAM.zones[m.index],
      ETCD_VOLUME_ID: `${m.volume.name}-id`,
      STABLE_IP: EXPECTED.addresses[m.index],
      MEMBER_ADDRESSES: EXPECTED.addresses.join(" "),
      ETCD_RELEASE_SHA256: ETCD_PROGRAM.releaseSha256,
    });
  }
});

test("each launch template: its security group, IMDSv2, its interfaces tagged role etcd + member", () => {
  for (const m of members()) {
    const t = m.template.inputs;
    expect(list(t.vpcSecurityGroupIds)).toEqual([ETCD_PROGRAM.securityGroupId]);
    expect(rec(t.metadataOptions).httpTokens).toBe("required");
    const eni = list(t.tagSpecifications)
      .map(rec)
      .find((s) => s.resourceType === "network-interface");
    expect(rec(eni?.tags)).toMatchObject({
      "k8sha.io/role": "etcd",
      "k8sha.io/etcd-member": String(m.index),
    });
  }
});

test("outputs: client endpoints at the stable addresses, member 0 first, and one of each per member", () => {
  expect(result.outputs.clientEndpoints).toEqual(EXPECTED.addresses.map((a) => `https://${a}:2379`));
  expect(result.outputs.stableAddresses).toEqual(EXPECTED.addresses);
  expect(result.outputs.asgNames).toEqual(["unit-etcd-0", "unit-etcd-1", "unit-etcd-2"]);
  expect(list(result.outputs.etcdVolumeIds)).toEqual(members().map((m) => `${m.volume.name}-id`));
  expect(list(result.outputs.roleArns)).toHaveLength(3);
});
