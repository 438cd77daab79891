/**
 * The CloudWatch calls of the cluster's tools, served by the fake endpoint (fakeAws.ts) in the
 * query protocol's XML (CloudWatch API version 2010-08-01, as Debian's AWS CLI speaks it).
 * CloudWatch itself cannot exist here; the answers behave like it: DescribeAlarms filters by
 * AlarmNamePrefix and StateValue (an invalid state is ValidationError, as the service says) and
 * returns MetricAlarms; PutMetricData is recorded, its namespace required (MissingParameter).
 * Which alarm is in which state is the test's to set (no metric is ever evaluated here).
 */
import { xmlEscape } from "./ec2Query";
import { AwsError } from "./fakeSsm";

export interface PublishedDatum {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
const STATES: readonly string[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

export class FakeCloudWatch {
  /** Alarm name -> state. */
  readonly alarms = new Map<string, AlarmState>();
  /** Every PutMetricData: its namespace and data points. */
  readonly published: { namespace: string; metrics: PublishedDatum[] }[] = [];

  answer(action: string, form: URLSearchParams): string {
    switch (action) {
      case "DescribeAlarms":
        return this.describe(form.get("AlarmNamePrefix") ?? "", form.get("StateValue") ?? undefined);
      case "PutMetricData": {
        const namespace = form.get("Namespace");
        if (!namespace) throw new AwsError("MissingParameter", "The parameter Namespace is required.");
        const metrics: PublishedDatum[] = [];
        for (let i = 1; form.has(`MetricData.member.${i}.MetricName`); i++) {
          const at = `MetricData.member.${i}`;
          const dimensions: Record<string, string> = {};
          for (let j = 1; form.has(`${at}.Dimensions.member.${j}.Name`); j++)
            dimensions[form.get(`${at}.Dimensions.member.${j}.Name`) ?? ""] =
              form.get(`${at}.Dimensions.member.${j}.Value`) ?? "";
          metrics.push({
            name: form.get(`${at}.MetricName`) ?? "",
            value: Number(form.get(`${at}.Value`)),
            dimensions,
          });
        }
        this.published.push({ namespace, metrics });
        return "";
      }
      default:
        throw new AwsError("InvalidAction", `fake CloudWatch does not serve ${action}`);
    }
  }

  private describe(prefix: string, state: string | undefined): string {
    if (state !== undefined && !STATES.includes(state))
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${state}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`,
      );
    const members = [...this.alarms]
      .filter(([name, s]) => name.startsWith(prefix) && (state === undefined || s === state))
      .map(
        ([name, s]) =>
          `<member><AlarmName>${xmlEscape(name)}</AlarmName><StateValue>${s}</StateValue></member>`,
      )
      .join("");
    return `<MetricAlarms>${members}</MetricAlarms><CompositeAlarms/>`;
  }
}
