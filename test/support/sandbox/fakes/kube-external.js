// External etcd (ClusterConfiguration etcd.external) in the sandbox's kubeadm, kube-apiserver and
// kubectl stubs (kube.js): kubeadm's external etcd mode and the Lease kubectl reads for the
// leader-only timers. What the real commands do, from kubeadm's source:
//   - preflight (preflight/checks.go RunInitNodeChecks): the external caFile/certFile/keyFile must
//     exist (FileExisting), and every endpoint must answer GET /version over TLS with that pair
//     (ExternalEtcdVersionCheck: 3 retries 5 s apart). STUBBED: the version is not compared with
//     MinExternalEtcdVersion, since the host's etcd 3.4 stands in for the pinned 3.5/3.6 release.
//   - certs: every certificate of the etcd CA is skipped ("External etcd mode"), the
//     apiserver-etcd-client pair included: it must be on disk already.
//   - no etcd static pod, no etcd member add; the API server's --etcd-* flags name the endpoints
//     and the pair, and it is ready while etcd serves with quorum through them.
//   - `kubectl get lease kube-controller-manager -n kube-system`: the controller manager of one
//     master holds it, named "<hostname>_<uuid>". STUBBED: no controller manager runs here, so the
//     holder is the master of the lowest address whose kube-apiserver answers /readyz (a stable
//     choice, as a held lease is); NotFound, as kubectl says it, when no master's API is up.

const crypto = require("node:crypto");
const { API, fail, exists, sleep, readJson, host, nodes, waitFor } = require("./kube-base.js");

// The etcd.external of the config, or of the cluster's uploaded ClusterConfiguration (a join).
function externalEtcd(cfg) {
  return (
    cfg?.ClusterConfiguration?.etcd?.external ??
    (cfg?.ClusterConfiguration
      ? undefined
      : readJson(`${API}/cluster.json`, {}).clusterConfiguration?.etcd?.external)
  );
}

// What kubeadm's external-etcd checks find missing among the files the config names.
function missingFiles(ext) {
  return ["caFile", "certFile", "keyFile"].filter((k) => ext[k] && !exists(ext[k])).map((k) => ext[k]);
}

function externalEtcdctl(ext, endpoints, args) {
  return host(
    "etcdctl",
    [
      `--endpoints=${endpoints}`,
      `--cacert=${ext.caFile}`,
      `--cert=${ext.certFile}`,
      `--key=${ext.keyFile}`,
      "--dial-timeout=2s",
      "--command-timeout=5s",
      ...args,
    ],
    { env: { ETCDCTL_API: "3" } },
  );
}

// The preflight errors of external etcd (empty when fine).
function externalPreflight(ext) {
  const errs = missingFiles(ext).map(
    (f) => `[ERROR FileExisting-${f.replaceAll("/", "-")}]: ${f} doesn't exist`,
  );
  if (errs.length) return errs;
  for (const endpoint of ext.endpoints ?? []) {
    let last = "";
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0) sleep(5000);
      try {
        const body = host("curl", [
          "-sSf",
          "--max-time",
          "10",
          "--cacert",
          ext.caFile,
          "--cert",
          ext.certFile,
          "--key",
          ext.keyFile,
          `${endpoint}/version`,
        ]);
        if (/etcdserver/.test(body)) {
          last = "";
          break;
        }
        last = `unexpected answer ${body}`;
      } catch (e) {
        last = String(e.stderr || e.message).trim();
      }
    }
    if (last) errs.push(`[ERROR ExternalEtcdVersion]: Get "${endpoint}/version": ${last}`);
  }
  return errs;
}

// kubeadm's wait-control-plane, as far as etcd goes: the API server needs etcd's quorum.
function waitExternalEtcd(ext, seconds = 240) {
  waitFor(`etcd quorum through ${ext.endpoints.join(",")}`, seconds, () =>
    externalEtcdctl(ext, ext.endpoints.join(","), ["get", "health"]),
  );
}

// ---------- the Lease of kube-controller-manager ----------
function ipValue(ip) {
  return ip.split(".").reduce((a, b) => a * 256 + Number(b), 0);
}
function apiReady(ip) {
  try {
    const code = host("curl", [
      "-ks",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--max-time",
      "3",
      `https://${ip}:6443/readyz`,
    ]);
    return code.trim() === "200";
  } catch {
    return false;
  }
}
function leaseHolder() {
  const masters = nodes()
    .filter((n) => n.controlPlane && n.ip)
    .sort((a, b) => ipValue(a.ip) - ipValue(b.ip));
  const holder = masters.find((n) => apiReady(n.ip));
  if (!holder) return undefined;
  // os.Hostname() is the EC2 local hostname's first label; the uniquifier is per process start.
  const uuid = crypto.createHash("sha256").update(`${holder.name}@${holder.sandbox}`).digest("hex");
  const u = `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}`;
  return `${holder.name.split(".")[0]}_${u}`;
}
// `kubectl get lease NAME -n NS [-o jsonpath=...]`; true when the arguments were a Lease's.
function kubectlLease(args, words, option) {
  if (words[0] !== "get" || !/^leases?(\.coordination\.k8s\.io)?$/.test(words[1] ?? "")) return false;
  const name = words[2];
  const ns = option(args, "-n") ?? option(args, "--namespace") ?? "default";
  const holder = ns === "kube-system" && name === "kube-controller-manager" ? leaseHolder() : undefined;
  if (!holder) fail(`Error from server (NotFound): leases.coordination.k8s.io "${name}" not found`);
  const output = option(args, "-o") ?? "";
  if (output === "jsonpath={.spec.holderIdentity}") process.stdout.write(holder);
  else if (output === "") console.log(`NAME                      HOLDER\n${name}   ${holder}`);
  else fail(`kubectl stub models a Lease only with -o jsonpath={.spec.holderIdentity}, not: ${output}`);
  return true;
}

module.exports = { externalEtcd, externalEtcdctl, externalPreflight, waitExternalEtcd, kubectlLease };
