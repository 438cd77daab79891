import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmSpec } from "./alarmSpecs";

/**
 * One MetricAlarm per spec, named `<prefix><id>` (the topic policy admits CloudWatch only for
 * alarms with that prefix). ALARM and OK both notify, so a recovery is reported too.
 */
export function createAlarms(
  name: string,
  specs: AlarmSpec[],
  p: { alarmNamePrefix: string; topicArn: pulumi.Input<string>; tags: Record<string, string> },
  opts: { parent: pulumi.Resource },
): aws.cloudwatch.MetricAlarm[] {
  return specs.map(
    (s) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${s.id}`,
        {
          name: `${p.alarmNamePrefix}${s.id}`,
          alarmDescription: `[${s.severity}] ${s.description} Runbook: docs/monitoring.md#${s.kind}`,
          namespace: s.namespace,
          metricName: s.metricName,
          dimensions: s.dimensions,
          statistic: s.statistic,
          comparisonOperator: s.comparison,
          threshold: s.threshold,
          period: s.periodSeconds,
          evaluationPeriods: s.evaluationPeriods,
          datapointsToAlarm: s.evaluationPeriods,
          treatMissingData: s.treatMissingData,
          alarmActions: [p.topicArn],
          okActions: [p.topicArn],
          tags: { ...p.tags, "k8sha.io/severity": s.severity },
        },
        // A fixed name is taken until the old one is gone.
        { ...opts, deleteBeforeReplace: true },
      ),
  );
}
