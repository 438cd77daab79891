/**
 * Every CloudWatch alarm of a cluster is named `<prefix><alarm id>`: the alarms
 * (components/monitoring) are created under it, `k8sha-validate` lists them by it, and the
 * masters' DescribeAlarms permission and the alarm topic's policy are scoped to it. The cluster
 * name ends in a `/`, which no cluster name contains: with `k8sha-<cluster>-` the prefix of
 * cluster `demo` would also match every alarm of a cluster `demo-other`.
 */
export function alarmNamePrefix(clusterName: string): string {
  return `k8sha/${clusterName}/`;
}
