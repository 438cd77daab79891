/**
 * The certificate days a master of the external topology reports (cloud-init/lib/health.sh,
 * K8SHA_HEALTH_ROLE=control-plane): its kubeadm certificates AND the API server's etcd client
 * pair, which kubeadm does not renew there (`pulumi up` does), so its expiry must raise the
 * certificate alarm. Real openssl certificates; the component probes get a curl that answers 000.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLib } from "../support/fakes/bashLib";
import { selfSignedCert } from "../support/pki";

function pkiWith(days: Record<string, number>): string {
  const pki = join(mkdtempSync(join(tmpdir(), "k8sha-health-ext-")), "pki");
  mkdirSync(pki);
  for (const [name, d] of Object.entries(days)) selfSignedCert(pki, name, d);
  return pki;
}

async function certDays(role: string, pki: string): Promise<string> {
  const curl = join(pki, "..", "curl");
  writeFileSync(curl, "#!/usr/bin/env bash\nprintf 000\n");
  chmodSync(curl, 0o755);
  const r = await runLib(
    ["etcd-member.sh", "cert-expiry.sh", "health.sh"],
    'HEALTH_DATA=(); HEALTH_DIMENSIONS="[]"; health_components; declare -p HEALTH_DATA',
    [],
    {
      // As on a master of the topology: cert-expiry.sh then leaves the pair out of its own list.
      ETCD_TOPOLOGY: "external",
      K8SHA_HEALTH_ROLE: role,
      K8SHA_PKI_DIR: pki,
      K8SHA_KUBECONFIG_DIR: join(pki, "..", "kube"),
      K8SHA_CURL: curl,
    },
  );
  if (r.code !== 0) throw new Error(r.stderr);
  // declare -p prints each datum's JSON with its quotes escaped.
  return /CertificateDaysLeft\\",\\"Value\\":(-?\d+)/.exec(r.stdout)?.[1] ?? "none";
}

const DAYS = {
  apiserver: 90,
  "apiserver-kubelet-client": 90,
  "front-proxy-client": 90,
  "apiserver-etcd-client": 5,
};

test("control-plane role: the etcd client pair expiring first is the reported minimum", async () => {
  expect(Number(await certDays("control-plane", pkiWith(DAYS)))).toBeLessThanOrEqual(5);
});

test("control: without the pair on disk the kubeadm certificates' days are reported", async () => {
  const { "apiserver-etcd-client": _pair, ...kubeadm } = DAYS;
  expect(Number(await certDays("control-plane", pkiWith(kubeadm)))).toBeGreaterThanOrEqual(89);
});
