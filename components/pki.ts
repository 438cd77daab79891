import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { discoveryHashFromPublicKeyPem } from "./discoveryHash";
import { PKI_DEFAULTS } from "./tuning";

/** kubeadm's CA key usages (x509.KeyUsageCertSign | DigitalSignature | KeyEncipherment). */
const CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"];
/** A client certificate for TLS client authentication only. */
const CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"];

/**
 * The kubeadm admin identity since 1.29: group `kubeadm:cluster-admins`, which `kubeadm init`
 * binds to `cluster-admin` with a ClusterRoleBinding. Unlike `system:masters` (now only in
 * super-admin.conf) it can be revoked by deleting that binding.
 */
export const ADMIN_SUBJECT = { commonName: "kubernetes-admin", organization: "kubeadm:cluster-admins" };

/**
 * kube-apiserver's etcd client identity: kubeadm's `APIServerEtcdClientCertCommonName`
 * (cmd/kubeadm/app/constants/constants.go). No organization: etcd reads only the CN (its user
 * name when etcd auth is on), and the certificate is trusted by the etcd CA alone.
 */
export const APISERVER_ETCD_CLIENT_SUBJECT = { commonName: "kube-apiserver-etcd-client" };

export interface ClusterPkiArgs {
  /** Cluster name; written into the CAs' OU so certificates of different clusters are told apart. */
  clusterName: pulumi.Input<string>;
  /** CA validity in hours (default 10 years, like kubeadm). */
  caValidityHours?: pulumi.Input<number>;
  /** Admin client certificate validity in hours (default 1 year, like kubeadm). */
  adminValidityHours?: pulumi.Input<number>;
  /** Re-issue the admin certificate on `pulumi up` this many hours before it expires (default 30 days). */
  adminEarlyRenewalHours?: pulumi.Input<number>;
  /**
   * etcd runs on dedicated nodes (external topology): also issue kube-apiserver's etcd client
   * certificate (`apiserver-etcd-client`), signed by the etcd CA. kubeadm issues it only for
   * stacked etcd (`GetCertsWithoutEtcd` in cmd/kubeadm/app/phases/certs/certlist.go leaves it out),
   * and masters of that topology must not hold the etcd CA key to make it themselves. Plain, not
   * an Input: it decides which resources exist. Default false (stacked: nothing extra registered).
   */
  externalEtcd?: boolean;
}

/**
 * The shared secrets of a kubeadm control plane, the same set Cluster API's bootstrap
 * provider pre-generates: cluster CA, etcd CA, front-proxy CA, the service-account signing
 * key pair, plus an admin client certificate for the operator's kubeconfig. kubeadm
 * derives every other certificate (API server, etcd peer/server, kubelet) from these CAs
 * on each master, with the right SANs for that node. With external etcd (`externalEtcd`) it
 * also issues the API server's etcd client certificate, which kubeadm then leaves out.
 *
 * Every private key output is a Pulumi secret; certificates and public keys are not.
 */
export class ClusterPki extends pulumi.ComponentResource {
  /** Cluster CA certificate (CN `kubernetes`) -> /etc/kubernetes/pki/ca.crt. */
  public readonly caCertPem: pulumi.Output<string>;
  /** Cluster CA private key (secret) -> /etc/kubernetes/pki/ca.key. */
  public readonly caKeyPem: pulumi.Output<string>;
  /** etcd CA certificate (CN `etcd-ca`) -> /etc/kubernetes/pki/etcd/ca.crt. */
  public readonly etcdCaCertPem: pulumi.Output<string>;
  /** etcd CA private key (secret) -> /etc/kubernetes/pki/etcd/ca.key. */
  public readonly etcdCaKeyPem: pulumi.Output<string>;
  /** Front-proxy CA certificate (CN `front-proxy-ca`) -> /etc/kubernetes/pki/front-proxy-ca.crt. */
  public readonly frontProxyCaCertPem: pulumi.Output<string>;
  /** Front-proxy CA private key (secret) -> /etc/kubernetes/pki/front-proxy-ca.key. */
  public readonly frontProxyCaKeyPem: pulumi.Output<string>;
  /** Service-account signing key (secret) -> /etc/kubernetes/pki/sa.key. */
  public readonly serviceAccountKeyPem: pulumi.Output<string>;
  /** Service-account verification key (SPKI PEM) -> /etc/kubernetes/pki/sa.pub. */
  public readonly serviceAccountPublicKeyPem: pulumi.Output<string>;
  /** Admin client certificate, signed by the cluster CA (for the operator's kubeconfig). */
  public readonly adminCertPem: pulumi.Output<string>;
  /** Admin client private key (secret). */
  public readonly adminKeyPem: pulumi.Output<string>;
  /** `sha256:<hex>` pin of the cluster CA public key, for `kubeadm join` discovery. */
  public readonly discoveryHash: pulumi.Output<string>;
  /**
   * kube-apiserver's etcd client certificate (CN `kube-apiserver-etcd-client`, etcd CA, client
   * auth only) -> /etc/kubernetes/pki/apiserver-etcd-client.crt. Only with `externalEtcd`.
   */
  public readonly apiserverEtcdClientCertPem?: pulumi.Output<string>;
  /** Its private key (secret) -> /etc/kubernetes/pki/apiserver-etcd-client.key. Only with `externalEtcd`. */
  public readonly apiserverEtcdClientKeyPem?: pulumi.Output<string>;

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:pki:ClusterPki", name, {}, opts);
    const caValidityHours = args.caValidityHours ?? PKI_DEFAULTS.caValidityHours;

    const newKey = (suffix: string) =>
      new tls.PrivateKey(
        `${name}-${suffix}`,
        { algorithm: "RSA", rsaBits: PKI_DEFAULTS.rsaBits },
        { parent: this },
      );
    // No earlyRenewalHours on CAs: an automatic CA replacement would silently split the cluster.
    const newCa = (suffix: string, key: tls.PrivateKey, commonName: string) =>
      new tls.SelfSignedCert(
        `${name}-${suffix}`,
        {
          privateKeyPem: key.privateKeyPem,
          isCaCertificate: true,
          setSubjectKeyId: true,
          allowedUses: CA_USES,
          validityPeriodHours: caValidityHours,
          subject: { commonName, organizationalUnit: args.clusterName },
        },
        { parent: this },
      );

    const caKey = newKey("ca");
    const ca = newCa("ca", caKey, "kubernetes");
    const etcdCaKey = newKey("etcd-ca");
    const etcdCa = newCa("etcd-ca", etcdCaKey, "etcd-ca");
    const frontProxyCaKey = newKey("front-proxy-ca");
    const frontProxyCa = newCa("front-proxy-ca", frontProxyCaKey, "front-proxy-ca");
    const saKey = newKey("sa");

    // A client certificate: its own key, a CSR with the subject, signed by `signer`.
    const newClientCert = (
      suffix: string,
      subject: tls.types.input.CertRequestSubject,
      signer: { cert: tls.SelfSignedCert; key: tls.PrivateKey },
      validityPeriodHours: pulumi.Input<number>,
      earlyRenewalHours: pulumi.Input<number>,
    ) => {
      const key = newKey(suffix);
      const csr = new tls.CertRequest(
        `${name}-${suffix}`,
        { privateKeyPem: key.privateKeyPem, subject },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${name}-${suffix}`,
        {
          certRequestPem: csr.certRequestPem,
          caCertPem: signer.cert.certPem,
          caPrivateKeyPem: signer.key.privateKeyPem,
          allowedUses: CLIENT_USES,
          validityPeriodHours,
          earlyRenewalHours,
        },
        { parent: this },
      );
      return { key, cert };
    };

    const admin = newClientCert(
      "admin",
      ADMIN_SUBJECT,
      { cert: ca, key: caKey },
      args.adminValidityHours ?? PKI_DEFAULTS.clientValidityHours,
      args.adminEarlyRenewalHours ?? PKI_DEFAULTS.clientEarlyRenewalHours,
    );
    // The same lifetime as the admin certificate (kubeadm's one year for leaf certificates),
    // re-issued by `pulumi up` within the renewal window.
    const etcdClient = args.externalEtcd
      ? newClientCert(
          "apiserver-etcd-client",
          APISERVER_ETCD_CLIENT_SUBJECT,
          { cert: etcdCa, key: etcdCaKey },
          PKI_DEFAULTS.clientValidityHours,
          PKI_DEFAULTS.clientEarlyRenewalHours,
        )
      : undefined;

    this.caCertPem = ca.certPem;
    this.caKeyPem = pulumi.secret(caKey.privateKeyPem);
    this.etcdCaCertPem = etcdCa.certPem;
    this.etcdCaKeyPem = pulumi.secret(etcdCaKey.privateKeyPem);
    this.frontProxyCaCertPem = frontProxyCa.certPem;
    this.frontProxyCaKeyPem = pulumi.secret(frontProxyCaKey.privateKeyPem);
    this.serviceAccountKeyPem = pulumi.secret(saKey.privateKeyPem);
    // The public half is not secret, but the tls provider's output inherits the key's secrecy.
    this.serviceAccountPublicKeyPem = pulumi.unsecret(saKey.publicKeyPem);
    this.adminCertPem = admin.cert.certPem;
    this.adminKeyPem = pulumi.secret(admin.key.privateKeyPem);
    if (etcdClient) {
      this.apiserverEtcdClientCertPem = etcdClient.cert.certPem;
      this.apiserverEtcdClientKeyPem = pulumi.secret(etcdClient.key.privateKeyPem);
    }
    // The CA key's public half is the CA certificate's public key, so the pin is known at plan time.
    this.discoveryHash = pulumi.unsecret(caKey.publicKeyPem.apply(discoveryHashFromPublicKeyPem));

    this.registerOutputs({
      caCertPem: this.caCertPem,
      etcdCaCertPem: this.etcdCaCertPem,
      frontProxyCaCertPem: this.frontProxyCaCertPem,
      serviceAccountPublicKeyPem: this.serviceAccountPublicKeyPem,
      adminCertPem: this.adminCertPem,
      discoveryHash: this.discoveryHash,
      ...(this.apiserverEtcdClientCertPem
        ? { apiserverEtcdClientCertPem: this.apiserverEtcdClientCertPem }
        : {}),
    });
  }
}
