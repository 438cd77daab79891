import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ETCD_CLIENT_PARAMETER_FILES,
  type EtcdClientParameterFile,
  etcdClientParameterNamesUnder,
  JOIN_PARAMETER_FILES,
  type JoinParameterFile,
  PKI_PARAMETER_FILES,
  type PkiParameterFile,
  type SecretParameterNames,
  secretParameterNames,
} from "../base/ssmPaths";
import { PKI_DEFAULTS } from "./tuning";

/** SSM's standard tier holds 4 KB; an RSA-2048 PEM is ~1.7 KB, so advanced (paid) is rarely needed. */
export const SSM_STANDARD_TIER_MAX_BYTES = 4096;

/** SSM tier for a value: standard unless it exceeds the standard tier's 4 KB limit. */
export function parameterTierFor(value: string): "Standard" | "Advanced" {
  return Buffer.byteLength(value, "utf8") > SSM_STANDARD_TIER_MAX_BYTES ? "Advanced" : "Standard";
}

/** The PKI values stored for masters. {@link ClusterPki} satisfies this interface. */
export interface PkiMaterial {
  caCertPem: pulumi.Input<string>;
  caKeyPem: pulumi.Input<string>;
  etcdCaCertPem: pulumi.Input<string>;
  etcdCaKeyPem: pulumi.Input<string>;
  frontProxyCaCertPem: pulumi.Input<string>;
  frontProxyCaKeyPem: pulumi.Input<string>;
  serviceAccountKeyPem: pulumi.Input<string>;
  serviceAccountPublicKeyPem: pulumi.Input<string>;
  /** kube-apiserver's etcd client certificate: external etcd only (ClusterPki `externalEtcd`). */
  apiserverEtcdClientCertPem?: pulumi.Input<string>;
  /** Its private key; given exactly when the certificate is. */
  apiserverEtcdClientKeyPem?: pulumi.Input<string>;
}

export interface ClusterSecretsArgs {
  /** Cluster name (plain: it is part of SSM paths, the KMS alias and IAM resource ARNs). */
  clusterName: string;
  /** CA certificates and keys, service-account key pair. */
  pki: PkiMaterial;
  /** kubeadm bootstrap token `<id>.<secret>` ({@link BootstrapToken.token}). */
  bootstrapToken: pulumi.Input<string>;
  /** `sha256:<hex>` CA pin ({@link ClusterPki.discoveryHash}). */
  discoveryHash: pulumi.Input<string>;
  /** Tags for the KMS key and parameters. */
  tags?: Record<string, string>;
}

/**
 * A customer-managed KMS key (`alias/k8sha-<cluster>`, yearly rotation) and one SSM
 * SecureString per secret, encrypted with it. Nodes fetch these at boot; nothing secret is
 * ever written to user-data. Masters may read `<prefix>/*`, workers only `<prefix>/join/*`
 * (see components/iam/ and docs/security.md).
 */
export class ClusterSecrets extends pulumi.ComponentResource {
  /** ARN of the KMS key every SecureString of this cluster is encrypted with. */
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** `alias/k8sha-<cluster>`. */
  public readonly kmsAliasName: string;
  /** SSM prefix `/k8sha/<cluster>`. */
  public readonly prefix: string;
  /** Parameter names (plain strings, for boot scripts and policies). */
  public readonly names: SecretParameterNames;
  /** ARNs of the master-only `<prefix>/pki/*` parameters. */
  public readonly pkiParameterArns: Record<PkiParameterFile, pulumi.Output<string>>;
  /** ARNs of the worker-readable `<prefix>/join/*` parameters. */
  public readonly joinParameterArns: Record<JoinParameterFile, pulumi.Output<string>>;
  /**
   * ARNs of `<prefix>/pki/apiserver-etcd-client.{crt,key}`, master-only like the rest of `pki/`;
   * present only when the PKI material carries the etcd client certificate (external etcd).
   */
  public readonly etcdClientParameterArns?: Record<EtcdClientParameterFile, pulumi.Output<string>>;

  constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:pki:ClusterSecrets", name, {}, opts);
    const etcdClientCert = args.pki.apiserverEtcdClientCertPem;
    const etcdClientKey = args.pki.apiserverEtcdClientKeyPem;
    if ((etcdClientCert === undefined) !== (etcdClientKey === undefined)) {
      throw new Error("ClusterSecrets: apiserverEtcdClientCertPem and apiserverEtcdClientKeyPem go together");
    }
    this.names = secretParameterNames(args.clusterName);
    this.prefix = this.names.prefix;
    this.kmsAliasName = `alias/k8sha-${args.clusterName}`;
    const tags = { ...args.tags };

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `k8sha ${args.clusterName}: SSM SecureString parameters (cluster PKI, join token)`,
        enableKeyRotation: true,
        deletionWindowInDays: PKI_DEFAULTS.kmsDeletionWindowDays,
        tags,
      },
      { parent: this },
    );
    new aws.kms.Alias(`${name}-key`, { name: this.kmsAliasName, targetKeyId: key.keyId }, { parent: this });
    this.kmsKeyArn = key.arn;

    const secureString = (path: string, value: pulumi.Input<string>, description: string) => {
      const secretValue = pulumi.secret(value);
      return new aws.ssm.Parameter(
        `${name}${path.slice(this.prefix.length).replace(/[^a-zA-Z0-9]/g, "-")}`,
        {
          name: path,
          description,
          type: "SecureString",
          keyId: key.arn,
          value: secretValue,
          // The tier depends on the length only; unsecret so previews show it.
          tier: pulumi.unsecret(secretValue.apply(parameterTierFor)),
          tags,
        },
        // A value shrinking below 4 KB moves Advanced -> Standard, which the provider can only do
        // by replacing the parameter (terraform-provider-aws internal/service/ssm/parameter.go,
        // ForceNewIfChange on tier); the name is fixed, so the old one must go first. Boots
        // retry their reads across the short gap.
        { parent: this, deleteBeforeReplace: true },
      ).arn;
    };

    const pkiValues: Record<PkiParameterFile, pulumi.Input<string>> = {
      "ca.crt": args.pki.caCertPem,
      "ca.key": args.pki.caKeyPem,
      "etcd-ca.crt": args.pki.etcdCaCertPem,
      "etcd-ca.key": args.pki.etcdCaKeyPem,
      "front-proxy-ca.crt": args.pki.frontProxyCaCertPem,
      "front-proxy-ca.key": args.pki.frontProxyCaKeyPem,
      "sa.key": args.pki.serviceAccountKeyPem,
      "sa.pub": args.pki.serviceAccountPublicKeyPem,
    };
    const joinValues: Record<JoinParameterFile, pulumi.Input<string>> = {
      token: args.bootstrapToken,
      "discovery-hash": args.discoveryHash,
      "ca.crt": args.pki.caCertPem,
    };
    const pkiArns = {} as Record<PkiParameterFile, pulumi.Output<string>>;
    for (const file of PKI_PARAMETER_FILES) {
      pkiArns[file] = secureString(this.names.pki[file], pkiValues[file], `${file} (masters only)`);
    }
    const joinArns = {} as Record<JoinParameterFile, pulumi.Output<string>>;
    for (const file of JOIN_PARAMETER_FILES) {
      joinArns[file] = secureString(this.names.join[file], joinValues[file], `${file} (kubeadm join)`);
    }
    this.pkiParameterArns = pkiArns;
    this.joinParameterArns = joinArns;
    // Only when given: a stacked cluster keeps exactly its parameter set (kubeadm issues this
    // certificate on each master there).
    if (etcdClientCert !== undefined && etcdClientKey !== undefined) {
      const etcdClientValues: Record<EtcdClientParameterFile, pulumi.Input<string>> = {
        "apiserver-etcd-client.crt": etcdClientCert,
        "apiserver-etcd-client.key": etcdClientKey,
      };
      const etcdClientNames = etcdClientParameterNamesUnder(this.prefix);
      const etcdClientArns = {} as Record<EtcdClientParameterFile, pulumi.Output<string>>;
      for (const file of ETCD_CLIENT_PARAMETER_FILES) {
        etcdClientArns[file] = secureString(
          etcdClientNames[file],
          etcdClientValues[file],
          `${file} (masters only)`,
        );
      }
      this.etcdClientParameterArns = etcdClientArns;
    }

    this.registerOutputs({
      kmsKeyArn: this.kmsKeyArn,
      pkiParameterArns: this.pkiParameterArns,
      joinParameterArns: this.joinParameterArns,
      ...(this.etcdClientParameterArns ? { etcdClientParameterArns: this.etcdClientParameterArns } : {}),
    });
  }
}
