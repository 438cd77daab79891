/**
 * The launch of one instance of a sandbox cluster from one of its graph's launch templates:
 * what the template says (its node.env, the tags of its tag specifications), the instance and
 * its interface in the fake EC2, its IMDS on loopback, its veth, and the NodeSandbox that boots
 * the template's user-data.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { formatIpv4, mustParseCidr } from "../../../base/cidr";
import { decodeUserData } from "../../../policy/userData";
import type { RegisteredResource } from "../../../synth/mockRuntime";
import type { FakeAws } from "./fakeAws";
import type { LoopbackInterfaces } from "./interfaces";
import { imdsAnswers, type Listening, startImds } from "./loopback";
import { NodeSandbox } from "./node";

export interface NodeSpec {
  name: string;
  template: RegisteredResource;
  zone: string;
  /** 0 for the first instance of a node, +1 for each replacement: its primary address. */
  generation: number;
}

/** One of the graph's private subnets. */
export interface GraphSubnet {
  id: string;
  cidr: string;
  zone: string;
}

/** What a launch may change of the node sandbox (NodeOptions of the same names). */
export interface LaunchExtra {
  withoutAmiCommands?: string[];
  unitAttempts?: number;
  env?: Record<string, string>;
}

/** The cluster a launch happens in. */
export interface LaunchSite {
  /** The cluster's folder: the node's is nodes/<name>-g<generation> below it. */
  dir: string;
  /** 127.<net>.0.0/16: the cluster's loopback network (in every MAC). */
  net: number;
  aws: FakeAws;
  interfaces: LoopbackInterfaces;
  /** The private subnet of the spec's zone. */
  subnet: GraphSubnet;
  /** curl connect-to entries besides IMDS: the internet and the API load balancer. */
  connectTo: string[];
  /** The CA the node's curl trusts (the internet's). */
  caBundle: string;
  s3Endpoint: string;
  /** Where the instance's IMDS server goes (closed when the cluster stops). */
  servers: Listening[];
}

/** The node.env a template's user-data writes. */
export function nodeEnvOf(template: RegisteredResource): Record<string, string> {
  const file = decodeUserData(String(template.inputs.userData)).files.find(
    (f) => f.path === "/etc/k8sha/node.env",
  );
  const env: Record<string, string> = {};
  for (const line of (file?.content ?? "").split("\n")) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (m?.[1]) env[m[1]] = m[2] ?? "";
  }
  return env;
}

/** The tags the template's tag specification gives a resource it launches (instance, network-interface). */
export function specTags(template: RegisteredResource, resourceType: string): Record<string, string> {
  const specs = (template.inputs.tagSpecifications ?? []) as {
    resourceType: string;
    tags: Record<string, string>;
  }[];
  return specs.find((t) => t.resourceType === resourceType)?.tags ?? {};
}

/**
 * A new instance from `spec.template` in `spec.zone`: its primary address is in the zone's
 * subnet, on the /24 above the master address reservation, host 10+generation.
 */
export async function launchNode(site: LaunchSite, spec: NodeSpec, extra: LaunchExtra): Promise<NodeSandbox> {
  const { subnet } = site;
  const base = mustParseCidr(subnet.cidr).network;
  const ip = formatIpv4(base + 256 + 10 + spec.generation);
  const ordinal = site.interfaces.count;
  const instanceId = `i-0${ordinal.toString(16)}${spec.generation}${Math.floor(Math.random() * 1e8).toString(16)}`;
  const dir = join(site.dir, "nodes", `${spec.name}-g${spec.generation}`);
  mkdirSync(dir, { recursive: true });
  const env = nodeEnvOf(spec.template);
  const mac = `0a:00:00:${site.net.toString(16).padStart(2, "0")}:${(ordinal >> 8).toString(16).padStart(2, "0")}:${(ordinal & 255).toString(16).padStart(2, "0")}`;
  const link = site.interfaces.add(mac, env.STABLE_IP || undefined);
  const eni = {
    id: `eni-0${ordinal.toString(16).padStart(4, "0")}${instanceId.slice(2, 8)}`,
    subnetId: subnet.id,
    addresses: [ip],
    tags: specTags(spec.template, "network-interface"),
  };
  site.aws.instances.set(instanceId, {
    id: instanceId,
    zone: spec.zone,
    privateIp: ip,
    state: "running",
    tags: {
      ...specTags(spec.template, "instance"),
      "k8sha.io/cluster": env.CLUSTER_NAME ?? "",
      "k8sha.io/role": env.K8SHA_ROLE ?? "",
    },
    deviceDir: join(dir, "root/dev/disk/by-id"),
    eni,
  });
  const imds = await startImds(
    imdsAnswers({
      instanceId,
      zone: spec.zone,
      ip,
      hostname: `ip-${ip.replaceAll(".", "-")}.eu-west-1.compute.internal`,
      mac,
      subnetCidr: subnet.cidr,
      eni,
    }),
  );
  site.servers.push(imds);
  const doc = parse(decodeUserData(String(spec.template.inputs.userData)).text) as { runcmd: string[][] };
  const node = new NodeSandbox({
    dir,
    clusterDir: site.dir,
    files: decodeUserData(String(spec.template.inputs.userData)).files,
    runcmd: doc.runcmd,
    ip,
    // A master's own services listen on its stable address (kubeadm's advertise address).
    ownAddress: env.STABLE_IP || ip,
    connectTo: [`169.254.169.254:80:127.0.0.1:${imds.port}`, ...site.connectTo],
    caBundle: site.caBundle,
    endpoints: { s3: site.s3Endpoint, other: site.aws.endpoint },
    withoutAmiCommands: extra.withoutAmiCommands,
    unitAttempts: extra.unitAttempts,
    env: extra.env,
    localEtcd: !(env.K8SHA_ROLE === "master" && env.ETCD_TOPOLOGY === "external"),
  });
  node.instanceId = instanceId;
  node.link = link;
  return node;
}
