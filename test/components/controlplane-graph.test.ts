/**
 * The control plane as the real program registers it for the real dev and prod stacks
 * (Pulumi mocks, no AWS): one single-instance ASG per zone, each master's etcd volume in
 * its own zone, IAM scoped to that volume, the API NLB, hardened launch templates, no
 * secrets in user-data, and no master that can launch before its SSM parameters exist.
 */
import * as zlib from "node:zlib";
import { parse as parseYaml } from "yaml";
import { API_PORT } from "../../base/ports";
import { TAG_CLUSTER, TAG_ETCD_MEMBER } from "../../base/tags";
import { parseBootBundle } from "../../cloud-init/bundle";
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import { ofType, type RegisteredResource, readStackConfig, synthesize } from "../../synth/mockRuntime";
import {
  childrenOf,
  depsOfType,
  descendantsOf,
  type Graph,
  indexGraph,
  list,
  only,
  type Rec,
  reachable,
  rec,
} from "../support/graph";

const T = {
  asg: "aws:autoscaling/group:Group",
  volume: "aws:ebs/volume:Volume",
  subnet: "aws:ec2/subnet:Subnet",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  master: "k8sha:controlplane:Master",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  ssm: "aws:ssm/parameter:Parameter",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
} as const;

interface Stack extends Graph {
  config: ClusterSpec;
}
const stacks: Record<string, Stack> = {};

beforeAll(async () => {
  for (const name of ["dev", "prod"]) {
    const result = await synthesize(name);
    stacks[name] = { ...indexGraph(result), config: parseConfig(readStackConfig(name)) };
  }
});

interface MasterView {
  asg: RegisteredResource;
  volume: RegisteredResource;
  subnet: RegisteredResource;
  policy: { Statement: Rec[] };
}
function masters(s: Stack): MasterView[] {
  return ofType(s.result, T.master).map((m) => {
    const asg = only(childrenOf(s, m, T.asg), "ASG per master");
    return {
      asg,
      volume: only(childrenOf(s, m, T.volume), "etcd volume per master"),
      subnet: only(depsOfType(s, asg, T.subnet), "subnet per master ASG"),
      policy: JSON.parse(
        String(only(descendantsOf(s, m, T.rolePolicy), "role policy per master").inputs.policy),
      ),
    };
  });
}

describe.each(["dev", "prod"])("%s stack", (name) => {
  const s = () => stacks[name];

  test("one single-instance ASG per master, each in a distinct zone's private subnet", () => {
    const views = masters(s());
    expect(views).toHaveLength(s().config.masters.count);
    for (const { asg, subnet } of views) {
      expect([asg.inputs.minSize, asg.inputs.maxSize, asg.inputs.desiredCapacity]).toEqual([1, 1, 1]);
      expect(list(asg.inputs.vpcZoneIdentifiers)).toHaveLength(1);
      expect(rec(subnet.inputs.tags)["kubernetes.io/role/internal-elb"]).toBe("1");
      expect(asg.inputs.healthCheckType).toBe("EC2");
      expect(asg.inputs.instanceRefresh).toBeUndefined();
    }
    const zones = views.map((v) => v.subnet.inputs.availabilityZone);
    expect(new Set(zones).size).toBe(views.length);
  });

  test("{ parent: this } everywhere: one root, the Cluster; every other resource under a component", () => {
    const roots = s().result.resources.filter((r) => r.parent === "");
    expect(roots.map((r) => r.type)).toEqual(["k8sha:cluster:Cluster"]);
    const orphans = s()
      .result.resources.filter((r) => r.parent !== "" && s().byUrn.get(r.parent)?.custom !== false)
      .map((r) => `${r.type} ${r.name}`);
    expect(orphans).toEqual([]);
  });

  test("each etcd volume is encrypted, sized by config, in its master's zone, tagged as its member", () => {
    const want = s().config.etcd.volume;
    const members = new Set<unknown>();
    for (const { volume, subnet } of masters(s())) {
      expect(volume.inputs.availabilityZone).toBe(subnet.inputs.availabilityZone);
      expect(volume.inputs).toMatchObject({
        encrypted: true,
        type: want.type,
        size: want.sizeGiB,
        iops: want.iops,
      });
      if (want.type === "gp3") expect(volume.inputs.throughput).toBe(want.throughputMiBps);
      const tags = rec(volume.inputs.tags);
      expect(tags[TAG_CLUSTER]).toBe(s().config.clusterName);
      expect(tags[`kubernetes.io/cluster/${s().config.clusterName}`]).toBe("owned");
      members.add(tags[TAG_ETCD_MEMBER]);
      // `pulumi destroy` or a replacement must never delete a member's data.
      expect(volume.options.retainOnDelete).toBe(true);
    }
    expect(members.size).toBe(s().config.masters.count);
  });

  test("a master may attach only its own volume, and only while it carries the cluster tag", () => {
    const views = masters(s());
    const allVolumeArns = views.map((v) => v.volume.state.arn);
    for (const { volume, policy } of views) {
      const attach = policy.Statement.filter((st) => list(st.Action).includes("ec2:AttachVolume"));
      const volumeStatements = attach.filter(
        (st) => !list(st.Resource).every((r) => String(r).includes(":instance/")),
      );
      expect(volumeStatements).toHaveLength(1);
      expect(volumeStatements[0].Resource).toEqual([volume.state.arn]);
      expect(rec(rec(volumeStatements[0].Condition).StringEquals)[`aws:ResourceTag/${TAG_CLUSTER}`]).toBe(
        s().config.clusterName,
      );
      const named = attach.flatMap((st) => list(st.Resource)).filter((r) => allVolumeArns.includes(r));
      expect(named).toEqual([volume.state.arn]);
      expect(attach.some((st) => st.Resource === "*")).toBe(false);
    }
  });

  test("API NLB: TCP 6443, HTTPS /readyz within 20 s, cross-zone, no client-IP preservation, scheme by config", () => {
    const lb = only(ofType(s().result, T.lb), "NLB");
    const tg = only(ofType(s().result, T.tg), "API target group");
    const listener = only(ofType(s().result, T.listener), "listener");
    const internal = s().config.api.exposure === "internal";
    expect(lb.inputs).toMatchObject({
      loadBalancerType: "network",
      internal,
      enableCrossZoneLoadBalancing: true,
    });
    const lbSubnetRoles = depsOfType(s(), lb, T.subnet).map((sn) => Object.keys(rec(sn.inputs.tags)));
    expect(lbSubnetRoles).toHaveLength(s().config.availabilityZoneCount);
    for (const keys of lbSubnetRoles) {
      expect(keys).toContain(internal ? "kubernetes.io/role/internal-elb" : "kubernetes.io/role/elb");
    }
    expect(listener.inputs).toMatchObject({ port: API_PORT, protocol: "TCP" });
    expect(listener.dependencies).toContain(tg.urn);
    expect(tg.inputs).toMatchObject({ port: API_PORT, protocol: "TCP", preserveClientIp: "false" });
    const hc = rec(tg.inputs.healthCheck);
    expect(hc).toMatchObject({ protocol: "HTTPS", path: "/readyz", port: String(API_PORT) });
    expect(Number(hc.interval) * Number(hc.unhealthyThreshold)).toBeLessThanOrEqual(20);
    expect(Number(hc.timeout)).toBeLessThan(Number(hc.interval));
    for (const r of [lb, tg]) expect(String(r.inputs.name).length).toBeLessThanOrEqual(32);
    for (const { asg } of masters(s())) expect(asg.inputs.targetGroupArns).toEqual([tg.state.arn]);
    expect(String(s().result.outputs.apiEndpoint)).toBe(`https://${String(lb.state.dnsName)}:${API_PORT}`);
  });

  test("every launch template: IMDSv2 required, hop limit 1, encrypted block devices, no key pair", () => {
    const templates = ofType(s().result, T.lt);
    expect(templates.length).toBeGreaterThanOrEqual(s().config.masters.count);
    for (const lt of templates) {
      const md = rec(lt.inputs.metadataOptions);
      expect(md.httpTokens).toBe("required");
      // 1 on masters too: a bridged pod there (CoreDNS tolerates the control-plane taint) must not reach IMDS.
      expect(md.httpPutResponseHopLimit).toBe(1);
      expect(lt.inputs.keyName).toBeUndefined();
      const devices = list(lt.inputs.blockDeviceMappings);
      expect(devices.length).toBeGreaterThan(0);
      for (const d of devices) expect(rec(rec(d).ebs).encrypted).toBe("true");
    }
  });

  test("no user-data or boot bundle carries a private key, the bootstrap token secret or a CA key", () => {
    const keyPems = ofType(s().result, "tls:index/privateKey:PrivateKey").map((k) =>
      String(k.state.privateKeyPem),
    );
    const tokenParts = ofType(s().result, "random:index/randomString:RandomString").map((r) =>
      String(r.state.result),
    );
    expect(keyPems.length).toBeGreaterThan(0);
    expect(tokenParts.length).toBeGreaterThan(0);
    const objects = ofType(s().result, "aws:s3/bucketObjectv2:BucketObjectv2");
    const isBundle = (o: { parent: string }) => o.parent.includes("k8sha:boot:BootBundle");
    const bundles = objects.filter(isBundle).map((o) => String(o.inputs.content));
    expect(bundles).toHaveLength(2);
    // The other objects (add-on manifest, issuer discovery documents) are read by nodes or the public.
    const others = objects.filter((o) => !isBundle(o)).map((o) => String(o.inputs.content));
    expect(others.length).toBeGreaterThan(0);
    const sources = [
      ...ofType(s().result, T.lt).flatMap((lt) => decodedUserData(String(lt.inputs.userData))),
      ...others,
      ...bundles.flatMap((b) => [b, ...parseBootBundle(b).map((f) => f.content.toString("utf8"))]),
    ];
    for (const text of sources) {
      expect(text).not.toContain("PRIVATE KEY");
      for (const part of tokenParts) expect(text).not.toContain(part);
      for (const pem of keyPems) expect(text).not.toContain(pem.split("\n")[1]);
    }
  });

  // What nodes read at boot: the PKI and join parameters (not the version record, which waits
  // for the last roll gate, i.e. for the masters themselves).
  const bootParameters = () =>
    ofType(s().result, T.ssm)
      .filter((p) => /\/(pki|join)\//.test(String(p.inputs.name)))
      .map((p) => p.urn);

  test("no master can launch before every SSM parameter exists", () => {
    const parameters = bootParameters();
    expect(parameters.length).toBeGreaterThan(0);
    for (const m of ofType(s().result, T.master)) {
      for (const r of [...childrenOf(s(), m, T.asg), ...childrenOf(s(), m, T.lt)]) {
        const deps = reachable(s(), r);
        expect(parameters.filter((p) => !deps.has(p))).toEqual([]);
      }
    }
  });

  test("no node of any role can launch before the SSM parameters and its boot bundle exist", () => {
    const parameters = bootParameters();
    // Every parameter but four no boot reads: the version record and the add-on pointer (both wait
    // for the last roll gate), the validation target (read by `k8sha-validate` only) and the etcd
    // topology (read by the next `pulumi up`'s guard only).
    const unread = ["/kubernetes-version", "/addons/manifest", "/validation", "/etcd-topology"];
    const others = ofType(s().result, T.ssm).filter(
      (p) => !unread.some((u) => String(p.inputs.name).endsWith(u)),
    );
    expect(others).toHaveLength(ofType(s().result, T.ssm).length - unread.length);
    expect(parameters.length).toBe(others.length);
    const bundles = ofType(s().result, "aws:s3/bucketObjectv2:BucketObjectv2").filter((o) =>
      o.parent.includes("k8sha:boot:BootBundle"),
    );
    const nodes = [...ofType(s().result, T.lt), ...ofType(s().result, T.asg)];
    expect(nodes.length).toBeGreaterThan(2 * s().config.masters.count);
    for (const r of nodes) {
      const deps = reachable(s(), r);
      expect(parameters.filter((p) => !deps.has(p))).toEqual([]);
      const role = r.parent.includes("k8sha:controlplane:Master") ? "master" : "worker";
      const own = bundles.filter((b) => deps.has(b.urn)).map((b) => String(b.inputs.key));
      if (role === "master") expect(own).toEqual([expect.stringContaining("/boot/master-")]);
      // Workers also wait for the last roll gate, hence for the masters and their bundle.
      else expect(own).toContainEqual(expect.stringContaining("/boot/worker-"));
    }
  });

  test("node SGs: etcd and kubelet only from masters, API from NLB and nodes, nothing from 0.0.0.0/0", () => {
    const groups = ofType(s().result, T.sg);
    const sgId = (suffix: string) =>
      `${
        only(
          groups.filter((g) => g.name.endsWith(suffix)),
          suffix,
        ).name
      }-id`;
    const master = sgId("-masters");
    const worker = sgId("-workers");
    const lbSg = only(
      groups.filter((g) => g.parent.includes("ApiLoadBalancer")),
      "NLB SG",
    ).name;
    const nodeRules = ofType(s().result, T.ingress).filter((r) =>
      [master, worker].includes(String(r.inputs.securityGroupId)),
    );
    const covers = (r: RegisteredResource, port: number) =>
      r.inputs.ipProtocol !== "icmp" && Number(r.inputs.fromPort) <= port && port <= Number(r.inputs.toPort);
    for (const r of nodeRules) {
      expect(r.inputs.cidrIpv4).not.toBe("0.0.0.0/0");
      expect(String(r.inputs.description ?? "")).not.toBe("");
      if ([2379, 2380, 10250].some((p) => covers(r, p)))
        expect(r.inputs.referencedSecurityGroupId).toBe(master);
      expect([10257, 10259].some((p) => covers(r, p))).toBe(false);
    }
    const apiSources = nodeRules
      .filter((r) => covers(r, API_PORT))
      .map((r) => r.inputs.referencedSecurityGroupId);
    expect(new Set(apiSources)).toEqual(new Set([`${lbSg}-id`, master, worker]));
    expect(
      nodeRules.filter((r) => covers(r, API_PORT)).every((r) => r.inputs.securityGroupId === master),
    ).toBe(true);
  });
});

/** The user-data document and every write_files entry, decoded as cloud-init would. */
function decodedUserData(base64: string): string[] {
  const gunzipMaybe = (b: Buffer) => (b[0] === 0x1f && b[1] === 0x8b ? zlib.gunzipSync(b) : b);
  const text = gunzipMaybe(Buffer.from(base64, "base64")).toString("utf8");
  const doc = rec(text.startsWith("#cloud-config") ? parseYaml(text) : {});
  const files = list(doc.write_files).map((f) => {
    const { content, encoding } = rec(f);
    const enc = String(encoding ?? "text/plain");
    const raw = enc.includes("b64") || enc.includes("base64") ? Buffer.from(String(content), "base64") : null;
    if (!raw) return String(content);
    return (enc.startsWith("gz") ? zlib.gunzipSync(raw) : raw).toString("utf8");
  });
  return [text, ...files];
}
