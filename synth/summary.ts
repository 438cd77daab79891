/**
 * The reviewer's view of a synthesized stack: control plane layout, etcd volumes, API load
 * balancer, worker pools, security-group rules, IAM statements, buckets and the policy
 * findings. Everything sorted, so `diff` of two summaries shows only real changes.
 */
import { asgZones, isEtcdNodeAsg, isEtcdVolume, isMasterAsg } from "../policy/masters";
import { asArray, asRecord, asString, ofType } from "../policy/props";
import { evaluatePolicies } from "../policy/registry";
import type { GraphResource, Violation } from "../policy/types";
import { toGraphResources } from "./graph";
import type { SynthResult } from "./mockRuntime";
import { withContentDigest } from "./objectContent";
import { REDACTED, redact } from "./redact";
import { referenceNamer, renameDeep } from "./resources";

export type Row = Record<string, unknown>;

export interface SynthSummary {
  stack: string;
  resourceCount: number;
  resourcesByType: Record<string, number>;
  mastersPerZone: Record<string, string[]>;
  masters: Row[];
  /** The dedicated etcd nodes' groups (external etcd); absent with stacked etcd. */
  etcdNodes?: Row[];
  etcdVolumes: Row[];
  loadBalancers: Row[];
  listeners: Row[];
  targetGroups: Row[];
  workerPools: Row[];
  securityGroupRules: Row[];
  iamStatements: Row[];
  buckets: Row[];
  outputs: Record<string, unknown>;
  policyViolations: Violation[];
}

const byName = (a: Row, b: Row) => String(a.name ?? "").localeCompare(String(b.name ?? ""));

function instanceTypes(props: Record<string, unknown>): string[] {
  const overrides = asArray(asRecord(asRecord(props.mixedInstancesPolicy).launchTemplate).overrides);
  return overrides.map((o) => asString(asRecord(o).instanceType)).filter((t): t is string => t !== undefined);
}

/** Instance types of a pool's overrides, else of the launch template the group uses. */
function asgInstanceTypes(asg: GraphResource, graph: GraphResource[]): string[] {
  const fromOverrides = instanceTypes(asg.props);
  if (fromOverrides.length > 0) return fromOverrides;
  const ltId = asString(asRecord(asg.props.launchTemplate).id);
  const lt = graph.find((r) => `${r.name}-id` === ltId);
  const type = lt ? asString(lt.props.instanceType) : undefined;
  return type ? [type] : [];
}

function asgRow(asg: GraphResource, graph: GraphResource[]): Row {
  const p = asg.props;
  const dist = asRecord(asRecord(p.mixedInstancesPolicy).instancesDistribution);
  return {
    name: asg.name,
    zones: asgZones(asg, graph),
    minSize: p.minSize,
    maxSize: p.maxSize,
    desiredCapacity: p.desiredCapacity,
    instanceTypes: asgInstanceTypes(asg, graph),
    onDemandBaseCapacity: dist.onDemandBaseCapacity,
    onDemandPercentageAboveBaseCapacity: dist.onDemandPercentageAboveBaseCapacity,
  };
}

const RULE_TYPES: Record<string, string> = {
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "ingress",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "egress",
};

function ruleRow(r: GraphResource, ref: (v: string) => string): Row {
  const p = r.props;
  const ports = p.fromPort === p.toPort ? p.fromPort : `${p.fromPort}-${p.toPort}`;
  const peer = p.cidrIpv4 ?? p.cidrIpv6 ?? p.prefixListId ?? ref(String(p.referencedSecurityGroupId ?? "?"));
  return {
    name: r.name,
    group: ref(String(p.securityGroupId ?? "?")),
    direction: RULE_TYPES[r.type],
    protocol: p.ipProtocol,
    ports: p.ipProtocol === "-1" ? "all" : ports,
    peer,
    description: p.description,
  };
}

/** IAM statements from inline role policies, managed policies and trust policies. */
function iamRows(graph: GraphResource[], ref: (v: string) => string): Row[] {
  const rows: Row[] = [];
  for (const r of graph.filter((x) => x.type.startsWith("aws:iam/"))) {
    for (const key of ["policy", "assumeRolePolicy"]) {
      const raw = r.props[key];
      if (typeof raw !== "string") continue;
      let doc: Record<string, unknown>;
      try {
        doc = asRecord(JSON.parse(raw));
      } catch {
        continue;
      }
      for (const s of asArray(doc.Statement).map(asRecord)) {
        rows.push({
          name: `${r.name}${key === "assumeRolePolicy" ? " (trust)" : ""}`,
          role: typeof r.props.role === "string" ? ref(r.props.role) : undefined,
          sid: s.Sid,
          effect: s.Effect,
          action: s.Action,
          principal: s.Principal,
          resource: s.Resource,
          condition: s.Condition,
        });
      }
    }
  }
  return rows.sort((a, b) => `${a.name}${a.sid}`.localeCompare(`${b.name}${b.sid}`));
}

export function summarize(result: SynthResult): SynthSummary {
  // Rows are built from redacted inputs: the summary is published as a CI artifact.
  const graph = toGraphResources(result).map((r) => ({ ...r, props: redact(r.props, r.type) as Row }));
  const namer = referenceNamer(result);
  const ref = (v: string) => namer(v).replace(/^<ref (.*)>$/, "$1");
  const resourcesByType: Record<string, number> = {};
  for (const r of result.resources) resourcesByType[r.type] = (resourcesByType[r.type] ?? 0) + 1;
  const masterAsgs = graph.filter(isMasterAsg);
  const mastersPerZone: Record<string, string[]> = {};
  for (const m of masterAsgs) {
    const zone = asgZones(m, graph).join("+") || "(unknown)";
    mastersPerZone[zone] = [...(mastersPerZone[zone] ?? []), m.name].sort();
  }
  const asgs = ofType(graph, "aws:autoscaling/group:Group");
  const etcdNodeAsgs = asgs.filter(isEtcdNodeAsg);
  const summary: SynthSummary = {
    stack: result.stack,
    resourceCount: result.resources.length,
    resourcesByType,
    mastersPerZone,
    masters: masterAsgs.map((m) => asgRow(m, graph)).sort(byName),
    ...(etcdNodeAsgs.length > 0 ? { etcdNodes: etcdNodeAsgs.map((a) => asgRow(a, graph)).sort(byName) } : {}),
    etcdVolumes: graph
      .filter(isEtcdVolume)
      .map((v) => ({ name: v.name, ...v.props }))
      .sort(byName),
    loadBalancers: ofType(graph, "aws:lb/loadBalancer:LoadBalancer")
      .map((lb) => ({
        name: lb.name,
        type: lb.props.loadBalancerType,
        internal: lb.props.internal,
        ...lb.props,
      }))
      .sort(byName),
    listeners: ofType(graph, "aws:lb/listener:Listener")
      .map((l) => ({
        name: l.name,
        loadBalancer: ref(String(l.props.loadBalancerArn ?? "")),
        port: l.props.port,
        protocol: l.props.protocol,
        defaultActions: l.props.defaultActions,
      }))
      .sort(byName),
    targetGroups: ofType(graph, "aws:lb/targetGroup:TargetGroup")
      .map((t) => ({ name: t.name, ...t.props }))
      .sort(byName),
    workerPools: asgs
      .filter((a) => !isMasterAsg(a) && !isEtcdNodeAsg(a))
      .map((a) => asgRow(a, graph))
      .sort(byName),
    securityGroupRules: graph
      .filter((r) => RULE_TYPES[r.type] !== undefined)
      .map((r) => ruleRow(r, ref))
      .sort((a, b) => `${a.group}${a.direction}${a.name}`.localeCompare(`${b.group}${b.direction}${b.name}`)),
    iamStatements: iamRows(graph, ref),
    buckets: graph
      .filter((r) => r.type.startsWith("aws:s3/"))
      .map((r) => ({ name: r.name, type: r.type, ...withContentDigest(r.type, r.name, r.props) }))
      .sort(byName),
    outputs: Object.fromEntries(
      Object.entries(redact(result.outputs) as Record<string, unknown>).map(([k, v]) => [
        k,
        result.secretOutputs.includes(k) ? REDACTED : v,
      ]),
    ),
    policyViolations: evaluatePolicies(graph),
  };
  // Mock ids and ARNs read as the names of the resources they stand for.
  return renameDeep(summary, ref) as SynthSummary;
}
