/**
 * ClusterConfiguration `etcd`, in either topology. kubeadm's `Etcd` holds `local` or `external`,
 * never both ("Local and External are mutually exclusive", cmd/kubeadm/app/apis/kubeadm/v1beta4/
 * types.go `Etcd`); its `ExternalEtcd` is `endpoints`, `caFile`, `certFile`, `keyFile` (same file,
 * JSON names), and "Kubeadm has no knowledge of where certificate files live and they must be
 * supplied": the three paths below are where the master's boot puts them.
 *
 * Stacked: kubeadm runs etcd as a static pod on every master (`local`, with the etcd patch of
 * kubeadm-config.ts). External: etcd runs on dedicated nodes (cloud-init/etcd-boot.sh) and the
 * API server is only their client, so a master has no etcd data, volume or peer certificate.
 */
import {
  APISERVER_ETCD_CLIENT_CERT_PATH,
  APISERVER_ETCD_CLIENT_KEY_PATH,
  ETCD_CA_CERT_PATH,
  ETCD_DATA_DIR,
} from "../base/nodePaths";
import type { Etcd, ExternalEtcd, ExtraArg } from "./kubeadm-types";
import type { MasterBootConfig } from "./types";

const GIB = 1024 ** 3;

/**
 * An etcd client URL the API server can use: `https://<host>[:<port>]`, nothing after it. The
 * etcd nodes serve clients over TLS only and authenticate the API server by its client
 * certificate; an `http://` endpoint would fail at the API server's first request, long after
 * `pulumi up`, so it is refused here.
 */
const ETCD_CLIENT_URL = /^https:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$/;

/** Refuses endpoints the API server could not use; the error names the offending value. */
export function checkExternalEtcdEndpoints(endpoints: readonly string[]): void {
  if (endpoints.length === 0)
    throw new Error("externalEtcd.endpoints must list at least one etcd client URL");
  endpoints.forEach((url, i) => {
    if (!ETCD_CLIENT_URL.test(url))
      throw new Error(`externalEtcd.endpoints[${i}] must be an https URL (https://host:port), got "${url}"`);
    if (endpoints.indexOf(url) !== i)
      throw new Error(
        `externalEtcd.endpoints lists "${url}" twice (positions ${endpoints.indexOf(url)} and ${i})`,
      );
  });
}

/** The API server's client view of the dedicated etcd nodes. */
export function externalEtcd(endpoints: readonly string[]): ExternalEtcd {
  checkExternalEtcdEndpoints(endpoints);
  return {
    endpoints: [...endpoints],
    caFile: ETCD_CA_CERT_PATH,
    certFile: APISERVER_ETCD_CLIENT_CERT_PATH,
    keyFile: APISERVER_ETCD_CLIENT_KEY_PATH,
  };
}

function toArgs(args: Record<string, string>): ExtraArg[] {
  return Object.entries(args).map(([name, value]) => ({ name, value }));
}

/**
 * The ClusterConfiguration's `etcd`. `peerCertSANs` (the local config's extra peer SANs) only
 * matter to stacked etcd: with external etcd a master issues no etcd certificate at all.
 */
export function clusterEtcd(cfg: MasterBootConfig, peerCertSANs?: string[]): Etcd {
  if (cfg.externalEtcd) return { external: externalEtcd(cfg.externalEtcd.endpoints) };
  return {
    local: {
      dataDir: ETCD_DATA_DIR,
      extraArgs: toArgs({
        "heartbeat-interval": String(cfg.etcd.heartbeatIntervalMs),
        "election-timeout": String(cfg.etcd.electionTimeoutMs),
        "quota-backend-bytes": String(cfg.etcd.quotaBackendGiB * GIB),
        // Off in etcd 3.4, on from 3.5: without it a survivor that ignores the first vote
        // (CheckQuorum) splits the election and a lost leader costs up to twice as long
        // (docs/benchmarks.md). Pinned so the behaviour does not depend on the etcd image.
        "pre-vote": "true",
      }),
      ...(peerCertSANs ? { peerCertSANs } : {}),
    },
  };
}
