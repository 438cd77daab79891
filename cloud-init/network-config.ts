/**
 * The two network documents a master needs, rendered here like the kubeadm ones: the netplan
 * drop-in that keeps its stable address on its primary interface (the interface name is only
 * known at boot: a placeholder), and Calico's operator resources for the pod network.
 */
import { placeholder } from "./placeholders";

/**
 * netplan merges this with cloud-init's 50-cloud-init.yaml by interface name, so every boot and
 * every networkd reconfigure keeps the address. /32: the primary address keeps the subnet route
 * and stays the source of outgoing traffic (hence the primary IP in the etcd peer certificate:
 * etcd checks a peer's client certificate against the connection's source).
 */
export function stableAddressNetplan(stableAddress: string): object {
  return {
    network: {
      version: 2,
      ethernets: { [placeholder("INTERFACE")]: { addresses: [`${stableAddress}/32`] } },
    },
  };
}

/**
 * The Calico operator's Installation + APIServer. VXLAN everywhere and no BGP: AWS does not route
 * pod IPs between subnets, and VXLAN needs no source/dest-check changes.
 */
export function calicoInstallation(podCidr: string): object[] {
  return [
    {
      apiVersion: "operator.tigera.io/v1",
      kind: "Installation",
      metadata: { name: "default" },
      spec: {
        calicoNetwork: {
          bgp: "Disabled",
          ipPools: [
            {
              name: "default-ipv4-ippool",
              cidr: podCidr,
              blockSize: 26,
              encapsulation: "VXLAN",
              natOutgoing: "Enabled",
              nodeSelector: "all()",
            },
          ],
        },
      },
    },
    { apiVersion: "operator.tigera.io/v1", kind: "APIServer", metadata: { name: "default" }, spec: {} },
  ];
}
