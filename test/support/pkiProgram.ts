/**
 * A Pulumi program that builds `ClusterPki` and `ClusterSecrets` on their own (no Cluster around
 * them), for synthesizeInCurrentRegistry. Config `pkiunit:externalEtcd` (`true`/`false`; unset:
 * the components' default) is how a test asks for the external topology's etcd client certificate,
 * which Cluster does not wire yet.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSecrets } from "../../components/clusterSecrets";
import { ClusterPki } from "../../components/pki";

/** A fixed, well-formed kubeadm token: the random provider plays no part in these tests. */
const PKI_PROGRAM_TOKEN = "abcdef.0123456789abcdef";

export = async (): Promise<Record<string, unknown>> => {
  const externalEtcd = new pulumi.Config("pkiunit").getBoolean("externalEtcd");
  const pki = new ClusterPki("pki", { clusterName: "demo", externalEtcd });
  const secrets = new ClusterSecrets("secrets", {
    clusterName: "demo",
    pki,
    bootstrapToken: PKI_PROGRAM_TOKEN,
    discoveryHash: pki.discoveryHash,
  });
  return {
    etcdClientCertPem: pki.apiserverEtcdClientCertPem,
    etcdClientKeyPem: pki.apiserverEtcdClientKeyPem,
    etcdClientParameterArns: secrets.etcdClientParameterArns,
  };
};
