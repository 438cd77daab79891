/**
 * The Monitoring component as the real program registers it (Pulumi mocks, no AWS), on the dev
 * and prod stacks: one NLB HealthyHostCount alarm per master zone, the topic's customer key
 * admitting only CloudWatch (for this account) and EventBridge (unconditioned, as AWS requires)
 * to data keys, the topic policy scoping CloudWatch by alarm ARN, every alarm's missing-data
 * handling as intended (the table below, written independently of alarmSpecs.ts), the alarms
 * publishing to the encrypted topic, the launch-failure rule on the cluster's own ASGs, and
 * nothing at all with `monitoring.enabled: false`.
 *
 * Expected values come from the stack file and the graph (zones, master count, ASG names, the
 * target group's ARN), never from the code under test.
 */
import { alarmNamePrefix } from "../../base/alarmNames";
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import {
  MOCK_ACCOUNT_ID,
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";
import { type Graph, indexGraph, list, only, rec } from "../support/graph";
import { type EvaluatedStatement, isAllowed } from "../support/iam-evaluate";

const T = {
  monitoring: "k8sha:monitoring:Monitoring",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  key: "aws:kms/key:Key",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  sub: "aws:sns/topicSubscription:TopicSubscription",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  tg: "aws:lb/targetGroup:TargetGroup",
  asg: "aws:autoscaling/group:Group",
} as const;

/** What each kind of alarm must do with missing data, and why (docs/monitoring.md). */
const MISSING_DATA: Record<string, string> = {
  // Heartbeats: silence means the source is gone.
  "api-healthy": "breaching",
  "api-healthy-below-masters": "breaching",
  "api-healthy-below-quorum": "breaching",
  "master-asg": "breaching",
  "backup-missing": "breaching",
  "etcd-no-leader": "breaching",
  // Failure-only signals: no data is the good case.
  "backup-failed": "notBreaching",
  "boot-failed": "notBreaching",
  // Per-master values whose absence the etcd-no-leader heartbeat already reports.
  "etcd-members": "missing",
  "etcd-leader-changes": "missing",
  "etcd-db-size": "missing",
  "etcd-wal-fsync": "missing",
  "etcd-backend-commit": "missing",
  "apiserver-not-ready": "missing",
  "controller-manager-unhealthy": "missing",
  "scheduler-unhealthy": "missing",
  "certificate-expiry": "missing",
};

interface Stack extends Graph {
  config: ClusterSpec;
}
const stacks: Record<string, Stack> = {};
let off: SynthResult;
let subscribed: SynthResult;

beforeAll(async () => {
  for (const name of ["dev", "prod"]) {
    stacks[name] = { ...indexGraph(await synthesize(name)), config: parseConfig(readStackConfig(name)) };
  }
  off = await synthesize("dev", { monitoring: { enabled: false } });
  subscribed = await synthesize("dev", {
    monitoring: {
      emailSubscriptions: ["oncall@example.com"],
      httpsSubscriptions: ["https://hooks.example.com/a"],
    },
  });
}, 240_000);

const alarmId = (a: RegisteredResource, cluster: string) =>
  String(a.inputs.name).replace(alarmNamePrefix(cluster), "");
const kindOf = (id: string) => id.replace(/-\d+$/, "");
const dims = (a: RegisteredResource) => rec(a.inputs.dimensions) as Record<string, string>;
const policyOf = (r: RegisteredResource, field: string) =>
  JSON.parse(String(r.inputs[field])) as { Statement: Record<string, unknown>[] };

describe.each(["dev", "prod"])("%s stack", (name) => {
  const s = () => stacks[name];
  const alarms = () => ofType(s().result, T.alarm);
  const masterZones = () => (s().config.availabilityZones ?? []).slice(0, s().config.masters.count);

  test("one Monitoring component, a child of the Cluster", () => {
    only(ofType(s().result, T.monitoring), "Monitoring");
  });

  test("one per-zone HealthyHostCount alarm per master zone, on the API target group", () => {
    const tg = only(ofType(s().result, T.tg), "target group");
    const lb = only(ofType(s().result, "aws:lb/loadBalancer:LoadBalancer"), "API load balancer");
    const perZone = alarms().filter(
      (a) => a.inputs.metricName === "HealthyHostCount" && dims(a).AvailabilityZone,
    );
    expect(perZone.map((a) => dims(a).AvailabilityZone).sort()).toEqual([...masterZones()].sort());
    for (const a of perZone) {
      expect(a.inputs.namespace).toBe("AWS/NetworkELB");
      expect(Object.keys(dims(a)).sort()).toEqual(["AvailabilityZone", "LoadBalancer", "TargetGroup"]);
      // The dimensions are the ELB ARN suffixes the provider reports (`arnSuffix`).
      expect(dims(a).TargetGroup).toBe(tg.state.arnSuffix);
      expect(dims(a).LoadBalancer).toBe(lb.state.arnSuffix);
      expect(String(dims(a).LoadBalancer)).toMatch(/^net\/.+\/[0-9a-f]+$/);
      expect(a.inputs.threshold).toBe(1);
      expect(a.inputs.comparisonOperator).toBe("LessThanThreshold");
    }
  });

  test("cluster-wide healthy hosts: warning below masters.count, critical below quorum", () => {
    const n = s().config.masters.count;
    const lbWide = alarms().filter(
      (a) => a.inputs.metricName === "HealthyHostCount" && !dims(a).AvailabilityZone,
    );
    const byId = Object.fromEntries(
      lbWide.map((a) => [alarmId(a, s().config.clusterName), a.inputs.threshold]),
    );
    expect(byId).toEqual({
      "api-healthy-below-masters": n,
      "api-healthy-below-quorum": Math.floor(n / 2) + 1,
    });
  });

  test("every alarm's treatMissingData is the intended one", () => {
    const got = alarms().map((a) => [alarmId(a, s().config.clusterName), a.inputs.treatMissingData]);
    expect(got.length).toBeGreaterThan(0);
    for (const [id, missing] of got) {
      expect([id, missing]).toEqual([id, MISSING_DATA[kindOf(String(id))]]);
    }
    // Every kind of the table exists, so a dropped alarm fails too.
    const kinds = new Set(got.map(([id]) => kindOf(String(id))));
    expect([...kinds].sort()).toEqual(Object.keys(MISSING_DATA).sort());
  });

  test("node-side alarms: one per master zone, dimensions cluster and zone only", () => {
    const leader = alarms().filter((a) => a.inputs.metricName === "EtcdHasLeader");
    expect(leader.map((a) => dims(a).AvailabilityZone).sort()).toEqual([...masterZones()].sort());
    for (const a of leader) {
      expect(a.inputs.namespace).toBe("K8sHA");
      expect(dims(a)).toEqual({
        ClusterName: s().config.clusterName,
        AvailabilityZone: dims(a).AvailabilityZone,
      });
    }
    const members = alarms().filter((a) => a.inputs.metricName === "EtcdHealthyMembers");
    for (const a of members) expect(a.inputs.threshold).toBe(Math.floor(s().config.masters.count / 2) + 1);
  });

  test("the backup alarms use the backup timer's ClusterName-only dimension and its interval", () => {
    const period = s().config.backup.intervalMinutes * 60;
    for (const metric of ["EtcdBackupSucceeded", "EtcdBackupFailed"]) {
      const a = only(
        alarms().filter((x) => x.inputs.metricName === metric),
        metric,
      );
      expect(dims(a)).toEqual({ ClusterName: s().config.clusterName });
      expect(a.inputs.period).toBe(period);
    }
    const missing = only(
      alarms().filter((x) => x.inputs.metricName === "EtcdBackupSucceeded"),
      "backup-missing",
    );
    expect(missing.inputs.evaluationPeriods).toBe(2);
  });

  /**
   * What each publisher's KMS request carries, as AWS documents it (topic.ts POLICY_SOURCES): for
   * EventBridge-to-encrypted-topic deliveries aws:SourceAccount/aws:SourceArn are "not supported",
   * so the request is modelled without them; CloudWatch's is modelled with this account's
   * aws:SourceAccount (recommended there for AWS event sources; not proven on AWS here).
   */
  const kmsRequest = (keyArn: string, action: string, context: Record<string, string>) => ({
    action,
    resource: keyArn,
    context,
  });
  const keyStatements = () => {
    const topic = only(ofType(s().result, T.topic), "topic");
    const key = only(
      ofType(s().result, T.key).filter((k) => k.state.arn === topic.inputs.kmsMasterKeyId),
      "topic key",
    );
    return { key, statements: policyOf(key, "policy").Statement };
  };
  const forService = (statements: Record<string, unknown>[], service: string) => ({
    Statement: statements.filter(
      (st) => rec(st.Principal).Service === service,
    ) as unknown as EvaluatedStatement[],
  });

  test("the topic's key admits the account root, and CloudWatch and EventBridge for data keys only", () => {
    const { statements } = keyStatements();
    const services = statements.filter((st) => rec(st.Principal).Service !== undefined);
    expect(services.map((st) => rec(st.Principal).Service).sort()).toEqual([
      "cloudwatch.amazonaws.com",
      "events.amazonaws.com",
    ]);
    for (const st of services) {
      expect(list(st.Action).sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
      expect(st.Resource).toBe("*");
    }
    const others = statements.filter((st) => rec(st.Principal).Service === undefined);
    expect(others.map((st) => rec(st.Principal).AWS)).toEqual([`arn:aws:iam::${MOCK_ACCOUNT_ID}:root`]);
  });

  test("EventBridge's key statement has no source condition, so its unconditioned request passes", () => {
    const { key, statements } = keyStatements();
    const events = forService(statements, "events.amazonaws.com");
    expect(events.Statement.map((st) => st.Condition)).toEqual([undefined]);
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
      expect(isAllowed([events], kmsRequest(String(key.state.arn), action, {}))).toBe(true);
  });

  test("CloudWatch's key statement admits this account's alarms, not another account's", () => {
    const { key, statements } = keyStatements();
    const cw = forService(statements, "cloudwatch.amazonaws.com");
    expect(cw.Statement.map((st) => st.Condition)).toEqual([
      { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } },
    ]);
    const keyArn = String(key.state.arn);
    const alarmArn = (account: string) => `arn:aws:cloudwatch:eu-west-1:${account}:alarm:x`;
    const ctx = (account: string) => ({ "aws:SourceAccount": account, "aws:SourceArn": alarmArn(account) });
    expect(isAllowed([cw], kmsRequest(keyArn, "kms:GenerateDataKey", ctx(MOCK_ACCOUNT_ID)))).toBe(true);
    expect(isAllowed([cw], kmsRequest(keyArn, "kms:GenerateDataKey", ctx("999999999999")))).toBe(false);
    // Nothing beyond data keys: CloudWatch may not, e.g., re-encrypt or manage the key.
    expect(isAllowed([cw], kmsRequest(keyArn, "kms:ReEncryptFrom", ctx(MOCK_ACCOUNT_ID)))).toBe(false);
  });

  test("the topic policy: CloudWatch only for this account's cluster alarms, EventBridge unconditioned", () => {
    const topic = only(ofType(s().result, T.topic), "topic");
    const policy = only(ofType(s().result, T.topicPolicy), "topic policy");
    const statements = policyOf(policy, "policy").Statement;
    expect(statements.every((st) => st.Action === "sns:Publish" && st.Resource === topic.state.arn)).toBe(
      true,
    );
    expect(statements.map((st) => rec(st.Principal).Service).sort()).toEqual([
      "cloudwatch.amazonaws.com",
      "events.amazonaws.com",
    ]);
    const cw = forService(statements, "cloudwatch.amazonaws.com");
    const prefix = alarmNamePrefix(s().config.clusterName);
    const publish = (account: string, alarm: string) => ({
      action: "sns:Publish",
      resource: String(topic.state.arn),
      context: {
        "aws:SourceAccount": account,
        "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${account}:alarm:${alarm}`,
      },
    });
    // Every alarm of the graph may publish; an alarm of another name or account may not.
    for (const a of alarms())
      expect(isAllowed([cw], publish(MOCK_ACCOUNT_ID, String(a.inputs.name)))).toBe(true);
    expect(isAllowed([cw], publish(MOCK_ACCOUNT_ID, "someone-elses-alarm"))).toBe(false);
    expect(isAllowed([cw], publish("999999999999", `${prefix}api-healthy-0`))).toBe(false);
    expect(isAllowed([cw], { ...publish(MOCK_ACCOUNT_ID, `${prefix}x`), context: {} })).toBe(false);
    // AWS: "You can't use Condition blocks in Amazon SNS topic policies for EventBridge."
    const events = forService(statements, "events.amazonaws.com");
    expect(events.Statement.map((st) => st.Condition)).toEqual([undefined]);
    expect(isAllowed([events], { action: "sns:Publish", resource: String(topic.state.arn) })).toBe(true);
  });

  test("every alarm notifies the encrypted topic on ALARM and on OK", () => {
    const topicArn = only(ofType(s().result, T.topic), "topic").state.arn;
    for (const a of alarms()) {
      expect(a.inputs.alarmActions).toEqual([topicArn]);
      expect(a.inputs.okActions).toEqual([topicArn]);
    }
  });

  test("the launch-failure rule watches every ASG of the cluster and targets the topic", () => {
    const rule = only(ofType(s().result, T.rule), "rule");
    const pattern = JSON.parse(String(rule.inputs.eventPattern));
    // Worker ASGs are auto-named by Pulumi, a name the mock does not invent (JSON null here);
    // the masters' are fixed. So: one entry per ASG of the graph, each fixed name among them.
    const groups = ofType(s().result, T.asg);
    const fixed = groups.map((g) => g.inputs.name).filter((n): n is string => typeof n === "string");
    expect(pattern.source).toEqual(["aws.autoscaling"]);
    expect(pattern["detail-type"]).toEqual(["EC2 Instance Launch Unsuccessful"]);
    expect(pattern.detail.AutoScalingGroupName).toHaveLength(groups.length);
    expect(fixed.length).toBeGreaterThanOrEqual(s().config.masters.count);
    for (const n of fixed) expect(pattern.detail.AutoScalingGroupName).toContain(n);
    const target = only(ofType(s().result, T.target), "rule target");
    expect(target.inputs.arn).toBe(only(ofType(s().result, T.topic), "topic").state.arn);
  });

  test("master ASG alarms name the masters' fixed ASG names", () => {
    const asg = alarms().filter((a) => a.inputs.metricName === "GroupInServiceInstances");
    const masters = Array.from(
      { length: s().config.masters.count },
      (_, i) => `${s().config.clusterName}-master-${i}`,
    );
    expect(asg.map((a) => dims(a).AutoScalingGroupName).sort()).toEqual(masters);
    const groups = new Set(ofType(s().result, T.asg).map((g) => String(g.inputs.name)));
    for (const m of masters) expect(groups.has(m)).toBe(true);
  });

  test("the dashboard graphs every alarmed metric and lists every alarm", () => {
    const body = JSON.parse(String(only(ofType(s().result, T.dashboard), "dashboard").inputs.dashboardBody));
    const widgets = list(body.widgets).map(rec);
    const titles = new Set(widgets.filter((w) => w.type === "metric").map((w) => rec(w.properties).title));
    for (const a of alarms()) expect(titles.has(a.inputs.metricName)).toBe(true);
    const alarmWidget = only(
      widgets.filter((w) => w.type === "alarm"),
      "alarm widget",
    );
    expect(list(rec(alarmWidget.properties).alarms)).toHaveLength(alarms().length);
  });

  test("no subscription without config", () => {
    expect(ofType(s().result, T.sub)).toHaveLength(0);
  });
});

test("monitoring.enabled: false registers no monitoring resource", () => {
  for (const type of Object.values(T).filter((t) => t !== T.tg && t !== T.asg && t !== T.key)) {
    expect([type, ofType(off, type).length]).toEqual([type, 0]);
  }
  // The cluster's other KMS key (SSM secrets) stays; the alarm key is gone.
  expect(ofType(off, T.key).filter((k) => String(k.inputs.description).includes("alarm topic"))).toHaveLength(
    0,
  );
});

test("configured subscriptions become SNS subscriptions of the topic", () => {
  const topicArn = only(ofType(subscribed, T.topic), "topic").state.arn;
  const subs = ofType(subscribed, T.sub).map((x) => [x.inputs.protocol, x.inputs.endpoint, x.inputs.topic]);
  expect(subs.sort()).toEqual([
    ["email", "oncall@example.com", topicArn],
    ["https", "https://hooks.example.com/a", topicArn],
  ]);
});

test("master ASGs publish the 1-minute group metrics the in-service alarms read; worker ASGs need none", async () => {
  const result = await synthesize("dev");
  const asgs = ofType(result, "aws:autoscaling/group:Group");
  const isMaster = (a: { inputs: Record<string, unknown> }) =>
    ((a.inputs.tags ?? []) as { key: string; value: string }[]).some(
      (t) => t.key === "k8sha.io/role" && t.value === "master",
    );
  const masters = asgs.filter(isMaster);
  expect(masters).toHaveLength(3);
  for (const a of masters) {
    expect(a.inputs.enabledMetrics).toEqual(["GroupInServiceInstances", "GroupDesiredCapacity"]);
    expect(a.inputs.metricsGranularity).toBe("1Minute");
  }
  for (const a of asgs.filter((g) => !isMaster(g))) expect(a.inputs.enabledMetrics).toBeUndefined();
});
