import type * as pulumi from "@pulumi/pulumi";

/** The shape of one alarm before it becomes a resource (alarmSpecs.ts, nodeAlarms.ts build them). */
export type MissingData = "breaching" | "notBreaching" | "missing" | "ignore";
export type Severity = "critical" | "warning";
type Comparison =
  | "LessThanThreshold"
  | "GreaterThanThreshold"
  | "GreaterThanOrEqualToThreshold"
  | "LessThanOrEqualToThreshold";

/** One alarm, before it becomes a resource. */
export interface AlarmSpec {
  /** Stable id: the resource name suffix and (with the prefix) the alarm name. */
  id: string;
  /** The kind of alarm, shared by the per-zone copies (the tests' table key). */
  kind: string;
  severity: Severity;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic: "Minimum" | "Maximum" | "Sum" | "Average";
  comparison: Comparison;
  threshold: number;
  periodSeconds: number;
  evaluationPeriods: number;
  treatMissingData: MissingData;
  /** What it means and what to do first (the full runbook is docs/monitoring.md). */
  description: string;
}
