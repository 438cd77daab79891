import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AlarmSpec } from "./alarmSpecs";

type Resolved = Omit<AlarmSpec, "dimensions"> & { dimensions: Record<string, string> };

const WIDTH = 8;
const HEIGHT = 6;

/**
 * The dashboard body: an alarm-status widget, then one graph per metric with every series the
 * alarms watch (one line per zone or ASG) and the alarm threshold as an annotation. Format:
 * docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export function dashboardBody(specs: Resolved[], alarmArns: string[], region: string, title: string): string {
  const byMetric = new Map<string, Resolved[]>();
  for (const s of specs) {
    const key = `${s.namespace}/${s.metricName}`;
    byMetric.set(key, [...(byMetric.get(key) ?? []), s]);
  }
  const widgets: Record<string, unknown>[] = [
    {
      type: "alarm",
      x: 0,
      y: 0,
      width: 24,
      height: HEIGHT,
      properties: { title: `${title}: alarms`, alarms: [...alarmArns].sort() },
    },
  ];
  [...byMetric.values()].forEach((group, i) => {
    const first = group[0];
    const seen = new Set<string>();
    const metrics: string[][] = [];
    for (const s of group) {
      const series = [s.namespace, s.metricName, ...Object.entries(s.dimensions).flat()];
      const id = series.join("|");
      if (!seen.has(id)) metrics.push(series);
      seen.add(id);
    }
    const thresholds = [...new Set(group.map((s) => s.threshold))].map((value) => ({
      value,
      label: "alarm",
    }));
    widgets.push({
      type: "metric",
      x: (i % 3) * WIDTH,
      y: HEIGHT * (1 + Math.floor(i / 3)),
      width: WIDTH,
      height: HEIGHT,
      properties: {
        title: first.metricName,
        region,
        view: "timeSeries",
        stat: first.statistic,
        period: first.periodSeconds,
        metrics,
        annotations: { horizontal: thresholds },
      },
    });
  });
  return JSON.stringify({ widgets });
}

export function createDashboard(
  name: string,
  p: {
    clusterName: string;
    region: pulumi.Input<string>;
    specs: AlarmSpec[];
    alarms: aws.cloudwatch.MetricAlarm[];
  },
  opts: { parent: pulumi.Resource },
): aws.cloudwatch.Dashboard {
  const resolvedSpecs = pulumi.all(
    p.specs.map((s) =>
      pulumi.all([pulumi.output(s.dimensions)]).apply(([dimensions]) => ({ ...s, dimensions })),
    ),
  );
  return new aws.cloudwatch.Dashboard(
    `${name}-dashboard`,
    {
      dashboardName: `k8sha-${p.clusterName}`,
      dashboardBody: pulumi
        .all([resolvedSpecs, pulumi.all(p.alarms.map((a) => a.arn)), p.region])
        .apply(([specs, arns, region]) =>
          dashboardBody(specs as Resolved[], arns, region, `k8sha ${p.clusterName}`),
        ),
    },
    // A fixed name is taken until the old one is gone.
    { ...opts, deleteBeforeReplace: true },
  );
}
