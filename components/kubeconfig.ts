import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { API_PORT } from "../base/ports";

/** Plain values of an admin kubeconfig. */
export interface AdminKubeconfigValues {
  /** Cluster name: names the cluster, user and context entries. */
  clusterName: string;
  /** API server URL, `https://<lb dns>:6443`. */
  server: string;
  /** Cluster CA certificate (PEM) that signed the API server's serving certificate. */
  caCertPem: string;
  /** Admin client certificate (PEM; O=kubeadm:cluster-admins, CN=kubernetes-admin). */
  clientCertPem: string;
  /** Admin client private key (PEM). */
  clientKeyPem: string;
}

/** The same values as Pulumi inputs (from ClusterPki and ApiLoadBalancer). */
export type AdminKubeconfigArgs = { [K in keyof AdminKubeconfigValues]: pulumi.Input<string> };

const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");

/** `https://<host>:6443` for a load-balancer DNS name. */
export function apiServerUrl(host: string): string {
  return `https://${host}:${API_PORT}`;
}

/**
 * A kubeconfig (clientcmd v1) for the cluster-admin identity, with every certificate embedded
 * as `*-data` so the file works anywhere. The user is `<cluster>-admin`, as kubeadm names it.
 */
export function buildAdminKubeconfig(values: AdminKubeconfigValues): string {
  for (const [field, pem] of Object.entries({
    caCertPem: values.caCertPem,
    clientCertPem: values.clientCertPem,
    clientKeyPem: values.clientKeyPem,
  })) {
    if (!/^-----BEGIN [A-Z ]+-----/.test(pem.trim())) throw new Error(`kubeconfig: ${field} is not PEM`);
  }
  if (!/^https:\/\/[^/\s]+$/.test(values.server)) {
    throw new Error(`kubeconfig: server must be https://host[:port], got '${values.server}'`);
  }
  const user = `${values.clusterName}-admin`;
  const context = `${user}@${values.clusterName}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: values.clusterName,
        cluster: { server: values.server, "certificate-authority-data": b64(values.caCertPem) },
      },
    ],
    users: [
      {
        name: user,
        user: {
          "client-certificate-data": b64(values.clientCertPem),
          "client-key-data": b64(values.clientKeyPem),
        },
      },
    ],
    contexts: [{ name: context, context: { cluster: values.clusterName, user } }],
    "current-context": context,
    preferences: {},
  });
}

/** The admin kubeconfig as a Pulumi secret: it holds the admin private key. */
export function adminKubeconfig(args: AdminKubeconfigArgs): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([args.clusterName, args.server, args.caCertPem, args.clientCertPem, args.clientKeyPem])
      .apply(([clusterName, server, caCertPem, clientCertPem, clientKeyPem]) =>
        buildAdminKubeconfig({ clusterName, server, caCertPem, clientCertPem, clientKeyPem }),
      ),
  );
}
