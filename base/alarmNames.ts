/**
 * Every CloudWatch alarm of a cluster is named `<prefix><alarm id>`: the alarms
 * (components/monitoring) are created under it, `k8sha-validate` lists them by it, and the
 * masters' DescribeAlarms permission is scoped to it.
 */
export function alarmNamePrefix(clusterName: string): string {
  return `k8sha-${clusterName}-`;
}
