import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PKI_DEFAULTS } from "./tuning";

/** kubeadm's bootstrap token format: `<id>.<secret>`, lower-case letters and digits only. */
export const BOOTSTRAP_TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

export interface BootstrapTokenArgs {
  /**
   * Any string; changing it generates a new token on the next `pulumi up` (rotation).
   * Leave it unchanged and the token stays the same across runs (it lives in Pulumi state).
   */
  rotation?: pulumi.Input<string>;
}

/**
 * The kubeadm bootstrap token masters create (`kubeadm init`, ttl
 * {@link PKI_DEFAULTS.bootstrapTokenTtl} = never expires) and workers join with.
 *
 * Why no expiry: workers are launched by an ASG at any time, months after the cluster was
 * created, and read the token from SSM. A 24 h token would make every later scale-out fail.
 * The trade-off: anyone holding the token can register a node (it cannot read secrets or
 * act as an admin; it only reaches the CSR/bootstrap RBAC). It is stored only in SSM under
 * `/join/`, readable by the worker and master roles. Rotation: change `rotation`, `pulumi up`
 * (new value in SSM), create the new token on a master (`kubeadm token create <new> --ttl 0`),
 * then `kubeadm token delete <old-id>`; see docs/security.md.
 */
export class BootstrapToken extends pulumi.ComponentResource {
  /** Public token id (6 chars), also the name of the `bootstrap-token-<id>` Secret in kube-system. */
  public readonly tokenId: pulumi.Output<string>;
  /** Token secret half (16 chars), a Pulumi secret. */
  public readonly tokenSecret: pulumi.Output<string>;
  /** The full `<id>.<secret>` token, a Pulumi secret. */
  public readonly token: pulumi.Output<string>;

  constructor(name: string, args: BootstrapTokenArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:pki:BootstrapToken", name, {}, opts);
    const keepers = { rotation: args.rotation ?? PKI_DEFAULTS.bootstrapTokenRotation };
    // Lower-case letters and digits only: kubeadm rejects anything else.
    const part = (suffix: string, length: number) =>
      new random.RandomString(
        `${name}-${suffix}`,
        { length, lower: true, numeric: true, upper: false, special: false, keepers },
        { parent: this },
      );
    const id = part("id", 6);
    const secret = part("secret", 16);

    this.tokenId = id.result;
    this.tokenSecret = pulumi.secret(secret.result);
    this.token = pulumi.secret(pulumi.interpolate`${id.result}.${secret.result}`);
    this.registerOutputs({ tokenId: this.tokenId });
  }
}
