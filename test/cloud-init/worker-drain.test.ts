/**
 * The worker-drain handler (cloud-init/lib/worker-drain.sh), run for real by bash. Real: three
 * etcd 3.4 members on loopback (who leads decides who acts), the handler's own functions, the
 * timer's units checked by systemd-analyze. Faked, because they need AWS or a cluster:
 * test/support/fakes/aws-lifecycle (Auto Scaling and EC2, through the CLI's own query engine and
 * text printer) and test/support/fakes/kubectl-drain (the API server and drain's eviction
 * rules). Both append every call to one log, so the order across the two tools is asserted.
 * The timer that runs it: worker-drain-timer.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORKER_DRAIN } from "../../base/workerDrain";
import { type EtcdMemberSpec, EtcdTestCluster, run } from "../support/etcdCluster";
import { FAKES_DIR, runLib } from "../support/fakes/bashLib";

const FAKE_AWS = join(FAKES_DIR, "aws-lifecycle");
const FAKE_KUBECTL = join(FAKES_DIR, "kubectl-drain");
const CP = "node-role.kubernetes.io/control-plane";
const MEMBERS: EtcdMemberSpec[] = [
  { name: "master-a", ip: "127.0.77.1" },
  { name: "master-b", ip: "127.0.77.2" },
  { name: "master-c", ip: "127.0.77.3" },
];

let cluster: EtcdTestCluster;
let leader: EtcdMemberSpec;
let follower: EtcdMemberSpec;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 25779, peerPort: 25780 });
  await cluster.startNew(MEMBERS);
  // Asked independently of the code under test: the member whose id is the leader id.
  for (const m of MEMBERS) {
    const status = await cluster.etcdctlOk(["endpoint", "status", "-w", "json"], [cluster.clientUrl(m.ip)]);
    if (/"member_id":(\d+)/.exec(status)?.[1] === /"leader":(\d+)/.exec(status)?.[1]) leader = m;
  }
  const other = MEMBERS.find((m) => m !== leader);
  if (!leader || !other) throw new Error("no etcd leader");
  follower = other;
}, 30000);

afterAll(async () => {
  await cluster?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tags = (cluster: string, role: string) => [
  { Key: "k8sha.io/cluster", Value: cluster },
  { Key: "k8sha.io/role", Value: role },
];
const node = (name: string, ip: string, controlPlane = false) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: controlPlane ? { [CP]: "" } : { "k8sha.io/pool": "general" } },
  spec: {},
  status: { addresses: [{ type: "InternalIP", address: ip }] },
});
const pod = (name: string, onNode: string, extra: Record<string, boolean> = {}) => ({
  name,
  namespace: "default",
  node: onNode,
  ...extra,
});

/**
 * Cluster "dev": its worker group holds a terminating worker (i-w1), an in-service one (i-w2)
 * and a terminating instance EC2 tags as a master (i-m9, as if listed by mistake); its master
 * group and another cluster's worker group each hold a terminating instance too.
 */
function scenario(opts: { blocked?: boolean; withoutNode?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-worker-drain-"));
  dirs.push(dir);
  const w = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value));
  w("groups.json", [
    {
      AutoScalingGroupName: "dev-general-asg",
      Tags: tags("dev", "worker"),
      LifecycleHooks: [WORKER_DRAIN.hookName],
      Instances: [
        { InstanceId: "i-w1", LifecycleState: "Terminating:Wait" },
        { InstanceId: "i-w2", LifecycleState: "InService" },
        { InstanceId: "i-m9", LifecycleState: "Terminating:Wait" },
      ],
    },
    {
      AutoScalingGroupName: "dev-master-0-asg",
      Tags: tags("dev", "master"),
      LifecycleHooks: [WORKER_DRAIN.hookName],
      Instances: [{ InstanceId: "i-m0", LifecycleState: "Terminating:Wait" }],
    },
    {
      AutoScalingGroupName: "other-general-asg",
      Tags: tags("other", "worker"),
      LifecycleHooks: [WORKER_DRAIN.hookName],
      Instances: [{ InstanceId: "i-o1", LifecycleState: "Terminating:Wait" }],
    },
  ]);
  w("instances.json", [
    { InstanceId: "i-w1", PrivateIpAddress: "10.0.1.11", Tags: tags("dev", "worker") },
    { InstanceId: "i-w2", PrivateIpAddress: "10.0.2.12", Tags: tags("dev", "worker") },
    { InstanceId: "i-m9", PrivateIpAddress: "10.0.1.5", Tags: tags("dev", "master") },
    { InstanceId: "i-m0", PrivateIpAddress: "10.0.1.6", Tags: tags("dev", "master") },
    { InstanceId: "i-o1", PrivateIpAddress: "10.0.3.13", Tags: tags("other", "worker") },
  ]);
  w("cluster.json", {
    nodes: [
      ...(opts.withoutNode ? [] : [node("ip-10-0-1-11", "10.0.1.11")]),
      node("ip-10-0-2-12", "10.0.2.12"),
      node("ip-10-0-1-5", "10.0.1.5", true),
      node("ip-10-0-1-6", "10.0.1.6", true),
    ],
    pods: [
      pod("web", "ip-10-0-1-11", opts.blocked ? { pdbBlocked: true } : {}),
      pod("logs", "ip-10-0-1-11", { daemonSet: true }),
      pod("cache", "ip-10-0-1-11", { emptyDir: true }),
      pod("api", "ip-10-0-2-12"),
    ],
  });
  const read = (name: string) => JSON.parse(readFileSync(join(dir, name), "utf8"));
  const calls = () =>
    existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : [];
  const state = (id: string) =>
    (read("groups.json") as { Instances: { InstanceId: string; LifecycleState: string }[] }[])
      .flatMap((g) => g.Instances)
      .find((i) => i.InstanceId === id)?.LifecycleState;
  const k8s = () =>
    read("cluster.json") as {
      nodes: { metadata: { name: string }; spec: { unschedulable?: boolean } }[];
      pods: { name: string }[];
    };
  const handler = (member: EtcdMemberSpec, env: Record<string, string> = {}) =>
    runLib(
      ["etcd-tools.sh", "etcd-backup.sh", "leader.sh", "stale-nodes.sh", "worker-drain.sh"],
      "worker_drain_once",
      [],
      {
        ...cluster.tlsEnv(),
        K8SHA_ETCD_ENDPOINT: cluster.clientUrl(member.ip),
        K8SHA_DRAIN_CLUSTER: "dev",
        AWS_DEFAULT_REGION: "eu-west-1",
        K8SHA_AWS: FAKE_AWS,
        K8SHA_KUBECTL: FAKE_KUBECTL,
        K8SHA_ADMIN_KUBECONFIG: join(dir, "admin.conf"),
        FAKE_DIR: dir,
        WORKER_DRAIN_TIMEOUT_SECONDS: "30",
        // A heartbeat every second (a quarter of it), so a few seconds of drain show them.
        WORKER_DRAIN_HEARTBEAT_SECONDS: "4",
        K8SHA_DRAIN_POLL_SECONDS: "1",
        ...env,
      },
    );
  return { dir, w, calls, state, k8s, handler };
}

/** Index of the one call matching `re`; fails naming the calls when there is not exactly one. */
function indexOf(calls: string[], re: RegExp): number {
  const hits = calls.flatMap((c, i) => (re.test(c) ? [i] : []));
  if (hits.length !== 1) throw new Error(`${hits.length} calls match ${re}:\n${calls.join("\n")}`);
  return hits[0];
}
const lifecycleCalls = (calls: string[]) => calls.filter((c) => /lifecycle-action/.test(c));
const kubectlWrites = (calls: string[]) => calls.filter((c) => /^kubectl (cordon|drain|delete)/.test(c));

test("the leader cordons, drains, completes CONTINUE and deletes the Node of the terminating worker, in that order, and nothing else; a second run is a no-op", async () => {
  const s = scenario();
  // The first listing is throttled: the bounded retry gets past it.
  s.w("throttle.json", { "describe-auto-scaling-groups": 1 });
  const r = await s.handler(leader);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(r.stderr).toContain("attempt 1/3 failed");

  const calls = s.calls();
  const list = calls.find((c) => c.includes("describe-auto-scaling-groups"));
  expect(list).toContain(
    "--filters Name=tag:k8sha.io/cluster,Values=dev Name=tag:k8sha.io/role,Values=worker",
  );
  const cordon = indexOf(calls, /^kubectl cordon ip-10-0-1-11$/);
  const drain = indexOf(calls, /^kubectl drain ip-10-0-1-11 /);
  const complete = indexOf(calls, /complete-lifecycle-action .*--instance-id i-w1 /);
  const del = indexOf(calls, /^kubectl delete node ip-10-0-1-11 --ignore-not-found$/);
  expect([cordon < drain, drain < complete, complete < del]).toEqual([true, true, true]);
  expect(calls[drain]).toMatch(/--ignore-daemonsets --delete-emptydir-data --timeout=(\d+)s$/);
  expect(Number(/--timeout=(\d+)s/.exec(calls[drain])?.[1])).toBeLessThanOrEqual(30);
  expect(calls[complete]).toContain(
    `--auto-scaling-group-name dev-general-asg --lifecycle-hook-name ${WORKER_DRAIN.hookName} --instance-id i-w1 --lifecycle-action-result CONTINUE`,
  );

  // Only i-w1 and its Node were acted on: not the in-service worker, not the instance tagged
  // master in the worker group (refused), not the master group's, not the other cluster's.
  expect(lifecycleCalls(calls).every((c) => /--instance-id i-w1( |$)/.test(c))).toBe(true);
  expect(kubectlWrites(calls).every((c) => c.includes("ip-10-0-1-11"))).toBe(true);
  expect(r.stderr).toMatch(/REFUSING i-m9 of dev-general-asg: tagged role=master/);
  expect(calls.some((c) => /i-m0|i-o1|i-w2/.test(c))).toBe(false);
  expect(["i-w1", "i-w2", "i-m9", "i-m0", "i-o1"].map(s.state)).toEqual([
    "Terminating:Proceed",
    "InService",
    "Terminating:Wait",
    "Terminating:Wait",
    "Terminating:Wait",
  ]);
  const after = s.k8s();
  expect(after.nodes.map((n) => [n.metadata.name, n.spec.unschedulable ?? false])).toEqual([
    ["ip-10-0-2-12", false],
    ["ip-10-0-1-5", false],
    ["ip-10-0-1-6", false],
  ]);
  // Evicted: the Deployment's pod and the emptyDir one; the DaemonSet's is left to the node's end.
  expect(after.pods.map((p) => p.name)).toEqual(["logs", "api"]);

  // Again: only reads. The instance tagged master is looked at (and refused, loudly) again.
  const groupsBefore = readFileSync(join(s.dir, "groups.json"), "utf8");
  const again = await s.handler(leader);
  expect(again.code).toBe(0);
  expect(again.stderr).toMatch(/REFUSING i-m9/);
  // (The listing repeats while the refusal's background job runs: how often depends on timing.)
  const newCalls = [
    ...new Set(
      s
        .calls()
        .slice(calls.length)
        .map((c) => c.split(" --")[0]),
    ),
  ];
  expect(newCalls).toEqual(["aws autoscaling describe-auto-scaling-groups", "aws ec2 describe-instances"]);
  expect(readFileSync(join(s.dir, "groups.json"), "utf8")).toBe(groupsBefore);
  expect(s.k8s()).toEqual(after);
});

test("a master that is not the etcd leader does nothing", async () => {
  const s = scenario();
  const before = s.k8s();
  const r = await s.handler(follower);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("not the etcd leader; the leader drains");
  expect(s.calls()).toEqual([]);
  expect(s.state("i-w1")).toBe("Terminating:Wait");
  expect(s.k8s()).toEqual(before);
});

test("a drain a PodDisruptionBudget blocks: heartbeats meanwhile, a logged failure, then CONTINUE after the bound and the Node deleted", async () => {
  const s = scenario({ blocked: true });
  const started = Date.now();
  const r = await s.handler(leader, { WORKER_DRAIN_TIMEOUT_SECONDS: "4" });
  const elapsed = Date.now() - started;
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("DRAIN FAILED: the Node of 10.0.1.11 was not drained within 4s");
  expect(r.stderr).toContain("completing i-w1 although its Node is not drained");
  expect(elapsed).toBeGreaterThanOrEqual(4000);

  const calls = s.calls();
  const drains = calls.flatMap((c, i) => (/^kubectl drain ip-10-0-1-11 /.test(c) ? [i] : []));
  const complete = indexOf(calls, /complete-lifecycle-action .*--instance-id i-w1 .*CONTINUE$/);
  const del = indexOf(calls, /^kubectl delete node ip-10-0-1-11 /);
  const beats = calls.flatMap((c, i) => (/record-lifecycle-action-heartbeat .*i-w1$/.test(c) ? [i] : []));
  expect(drains.length).toBeGreaterThanOrEqual(1);
  // The first heartbeat before the drain, more while it waits on the budget (how many fit in the
  // 4 s bound depends on the machine's load: at least one).
  expect(beats.filter((b) => b < drains[0]).length).toBeGreaterThanOrEqual(1);
  expect(beats.filter((b) => b > drains[0]).length).toBeGreaterThanOrEqual(1);
  expect([Math.max(...drains) < complete, complete < del]).toEqual([true, true]);
  expect(s.state("i-w1")).toBe("Terminating:Proceed");
  expect(s.k8s().pods.map((p) => p.name)).toContain("web");
});

test("a terminating worker whose Node is already gone is completed without a drain", async () => {
  const s = scenario({ withoutNode: true });
  const r = await s.handler(leader);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("no worker Node has InternalIP 10.0.1.11");
  expect(kubectlWrites(s.calls())).toEqual([]);
  expect(s.state("i-w1")).toBe("Terminating:Proceed");
});

test("the fake AWS CLI fails where the real one fails (exit codes of the real /usr/bin/aws)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-fake-aws-"));
  dirs.push(dir);
  // `env` settings before the command: no region at all, an empty one, a region.
  const region = ["AWS_DEFAULT_REGION=eu-west-1"];
  const cases: [string[], string[]][] = [
    [region, ["autoscaling", "frobnicate"]],
    [region, ["autoscaling", "complete-lifecycle-action", "--instance-id", "i-1"]],
    [region, ["autoscaling", "describe-auto-scaling-groups", "--bogus", "1"]],
    [
      ["-u", "AWS_DEFAULT_REGION", "-u", "AWS_REGION"],
      ["autoscaling", "describe-auto-scaling-groups"],
    ],
    [
      ["AWS_DEFAULT_REGION=", "AWS_REGION="],
      ["autoscaling", "describe-auto-scaling-groups"],
    ],
  ];
  for (const [env, args] of cases) {
    const real = await run("env", [...env, "AWS_CONFIG_FILE=/dev/null", "/usr/bin/aws", ...args]);
    const fake = await run("env", [...env, `FAKE_DIR=${dir}`, FAKE_AWS, ...args]);
    expect({ env, args, code: fake.code }).toEqual({ env, args, code: real.code });
    expect(real.code).not.toBe(0);
  }
});
