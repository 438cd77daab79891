/**
 * The masters' health timer on the whole-cluster simulation: each master's own unit
 * (k8sha-node-health.service, as cloud-init/lib/health-timer.sh installed it at boot) run once
 * with its EnvironmentFile, as its timer would start it: the real etcd 3.4 metrics on the
 * member's 127.0.0.1:2381, the real etcdctl, the node's AWS CLI publishing to the fake CloudWatch.
 * Every node here shares the machine's loopback, so what is 127.0.0.1 on a real master (etcd's
 * metrics, the local API server) is the master's own address (as node.ts does for etcd).
 */
import { ETCD_METRICS_PORT } from "../../../base/ports";
import type { Simulation } from "./simulation";

/** One run of every master's health unit; each run's exit code and stderr, master 0 first. */
export async function healthReportNow(sim: Simulation): Promise<{ code: number; stderr: string }[]> {
  return Promise.all(
    sim.masters.map(async (m) => {
      const unit = m.read("etc/systemd/system/k8sha-node-health.service");
      const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
      const envFile = /^EnvironmentFile=(.*)$/m.exec(unit)?.[1];
      if (!exec || !envFile) throw new Error(`master ${m.o.dir} has no health unit`);
      const own = m.o.ownAddress;
      const loopback = `K8SHA_HEALTH_HOST=${own} K8SHA_HEALTH_ETCD_METRICS_URL=http://${own}:${ETCD_METRICS_PORT}/metrics`;
      const r = await m.exec(
        `set -a; . ${envFile}; ${loopback}; set +a\nexport PATH=$PATH:/snap/bin\n${exec}\n`,
        120,
      );
      return { code: r.code, stderr: r.stderr };
    }),
  );
}
