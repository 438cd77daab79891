/**
 * A subscription SNS would refuse fails before any resource that names the alarm key exists:
 * through the program (the config section refuses it, no resource at all), and through the
 * component itself (a caller bypassing the config: only the component registers, no key, topic
 * or alarm). A control with good subscriptions shows the recorder sees the key and the topic.
 */
import type { MonitoringArgs } from "../../components/monitoring/monitoring";
import { PROJECT_NAME, synthesize } from "../../synth/mockRuntime";

type PulumiModule = typeof import("@pulumi/pulumi");
type Monitor = { registerResource(...args: unknown[]): unknown };
type Request = { getType(): string };

const base: MonitoringArgs = {
  clusterName: "dev",
  region: "eu-west-1",
  accountId: "123456789012",
  partition: "aws",
  masterCount: 3,
  masterZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  masterAsgNames: ["dev-master-0", "dev-master-1", "dev-master-2"],
  asgNames: ["dev-master-0", "dev-master-1", "dev-master-2"],
  loadBalancerArnSuffix: "net/dev-api/0123456789abcdef",
  targetGroupArnSuffix: "targetgroup/dev-api-tg/0123456789abcdef",
  backupIntervalMinutes: 15,
  emailSubscriptions: [],
  httpsSubscriptions: [],
  tags: {},
};

/** Builds a Monitoring under mocks; returns the types that reached the monitor, and the error. */
async function build(args: MonitoringArgs): Promise<{ types: string[]; error?: unknown }> {
  const types: string[] = [];
  let error: unknown;
  await jest.isolateModulesAsync(async () => {
    const pulumi = require("@pulumi/pulumi") as PulumiModule;
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => ({ id: `${a.name}-id`, state: { ...a.inputs, arn: `arn:aws:x:::${a.name}` } }),
        call: (a) => a.inputs,
      },
      PROJECT_NAME,
      "dev",
      false,
    );
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): Monitor };
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (...a: unknown[]) => {
      types.push((a[0] as Request).getType());
      return original(...a);
    };
    const { Monitoring } =
      require("../../components/monitoring/monitoring") as typeof import("../../components/monitoring/monitoring");
    try {
      new Monitoring("m", args);
    } catch (e) {
      error = e;
    }
    await pulumi.runtime.disconnect();
  });
  return { types, error };
}

test("the program refuses a bad subscription by key, before any resource", async () => {
  await expect(
    synthesize("dev", { monitoring: { emailSubscriptions: ["oncall.example.com"] } }),
  ).rejects.toThrow(/k8s-ha:monitoring\.emailSubscriptions\[0\]: "oncall\.example\.com" is invalid/);
  await expect(
    synthesize("dev", { monitoring: { httpsSubscriptions: ["http://x.example.com"] } }),
  ).rejects.toThrow(/k8s-ha:monitoring\.httpsSubscriptions\[0\]/);
});

test.each([
  ["an email that is not one", { emailSubscriptions: ["oncall"] }, /email "oncall"/],
  ["an http endpoint", { httpsSubscriptions: ["http://x.example.com"] }, /https "http:\/\/x\.example\.com"/],
])("the component refuses %s with no key, topic or alarm registered", async (_n, patch, message) => {
  const { types, error } = await build({ ...base, ...patch });
  expect(String(error)).toMatch(message);
  expect(types).toEqual(["k8sha:monitoring:Monitoring"]);
});

test("control: good subscriptions register the key, the topic and the subscriptions", async () => {
  const { types, error } = await build({
    ...base,
    emailSubscriptions: ["oncall@example.com"],
    httpsSubscriptions: ["https://x.example.com/hook"],
  });
  expect(error).toBeUndefined();
  expect(types).toEqual(
    expect.arrayContaining([
      "aws:kms/key:Key",
      "aws:sns/topic:Topic",
      "aws:sns/topicSubscription:TopicSubscription",
      "aws:cloudwatch/metricAlarm:MetricAlarm",
    ]),
  );
  expect(types.filter((t) => t === "aws:sns/topicSubscription:TopicSubscription")).toHaveLength(2);
});
