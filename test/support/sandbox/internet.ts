/**
 * "The internet" of a sandbox cluster: the few HTTPS downloads the boot makes (the Kubernetes
 * apt repository keys, Calico's manifests), served on loopback with a test CA of its own that
 * the nodes' curl is told to trust (loopback.ts serves them; a node reaches them by connect-to).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { createCa, issueCert, type TestCa } from "../pki";
import { type Listening, startInternet } from "./loopback";

/** The hosts the downloads come from (the server's certificate names; each node's connect-to). */
export const INTERNET_HOSTS = ["pkgs.k8s.io", "raw.githubusercontent.com", "github.com"];

/** Just enough of each download for the boot's own checks (kinds the CNI step waits for). */
export function internetFiles(k8sMinor: string, calico: string): Record<string, string> {
  const calicoBase = `raw.githubusercontent.com/projectcalico/calico/v${calico}/manifests`;
  // ASCII armour with a valid CRC (gpg --dearmor checks it); the key itself is never used.
  const key = execFileSync("gpg", ["--batch", "--enarmor"], {
    input: Buffer.from("k8sha test key"),
  }).toString();
  return {
    // The cluster's minor and the next one (an upgrade by config configures its repository).
    [`pkgs.k8s.io/core:/stable:/v${k8sMinor}/deb/Release.key`]: key,
    [`pkgs.k8s.io/core:/stable:/v${nextMinor(k8sMinor)}/deb/Release.key`]: key,
    [`${calicoBase}/operator-crds.yaml`]:
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: installations.operator.tigera.io\n",
    [`${calicoBase}/tigera-operator.yaml`]:
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tigera-operator\n  namespace: tigera-operator\n",
  };
}

/** "1.34" -> "1.35" */
function nextMinor(minor: string): string {
  const [major, m] = minor.split(".");
  return `${major}.${Number(m) + 1}`;
}

/**
 * The internet of a cluster at `kubernetesVersion` (node.env's KUBERNETES_VERSION) with the CNI
 * at `cniVersion`: its CA (made under `dir`/internet-ca) and its server on loopback; `extraFiles`
 * are more downloads by host and path (an external etcd's release tarball).
 */
export async function startClusterInternet(
  dir: string,
  kubernetesVersion: string,
  cniVersion: string,
  extraFiles: Record<string, Buffer> = {},
): Promise<{ ca: TestCa; server: Listening }> {
  const ca = createCa(join(dir, "internet-ca"), "test-internet-ca");
  const web = issueCert(ca, "web", [], INTERNET_HOSTS);
  const minor = /^1\.(\d+)\./.exec(kubernetesVersion)?.[1];
  const server = await startInternet(web, { ...internetFiles(`1.${minor}`, cniVersion), ...extraFiles });
  return { ca, server };
}
