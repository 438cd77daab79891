/**
 * Paths on a node. The renderers write these into node.env, and the boot scripts read them from
 * there, so a path is declared here once and nowhere in bash.
 */

/** Where a boot bundle is extracted on the node; it owns `lib/` and `bin/` below it. */
export const NODE_HOME_DIR = "/opt/k8sha";
/** The node's settings as shell `KEY='value'` lines, sourced by every entry script. */
export const NODE_ENV_PATH = "/etc/k8sha/node.env";
/** Where each master mounts its etcd EBS volume; etcd's data lives in a sub-directory. */
export const ETCD_MOUNT_POINT = "/var/lib/etcd-volume";
export const ETCD_DATA_DIR = `${ETCD_MOUNT_POINT}/data`;
/** containerd's CRI socket: kubeadm's `nodeRegistration.criSocket` and the boot's `kubeadm reset`. */
export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";
/** kubeadm's certificate directory (ClusterConfiguration `certificatesDir`, left at its default). */
export const KUBEADM_PKI_DIR = "/etc/kubernetes/pki";
/** The etcd CA certificate, where kubeadm keeps it in both topologies: what the API server trusts etcd by. */
export const ETCD_CA_CERT_PATH = `${KUBEADM_PKI_DIR}/etcd/ca.crt`;
/** kube-apiserver's etcd client certificate and key (kubeadm's `apiserver-etcd-client` file names). */
export const APISERVER_ETCD_CLIENT_CERT_PATH = `${KUBEADM_PKI_DIR}/apiserver-etcd-client.crt`;
export const APISERVER_ETCD_CLIENT_KEY_PATH = `${KUBEADM_PKI_DIR}/apiserver-etcd-client.key`;
