/** Ports of the cluster: security groups, the load balancer, kubeadm documents and boot scripts read these. */

/** The Kubernetes API server (kubeadm `bindPort`, the NLB listener and its health check). */
export const API_PORT = 6443;
/** etcd's client port (the API servers and etcdctl). */
export const ETCD_CLIENT_PORT = 2379;
/** etcd's peer port (members only). */
export const ETCD_PEER_PORT = 2380;
/**
 * etcd's plain-http metrics port on loopback: kubeadm starts etcd with
 * `--listen-metrics-urls=http://127.0.0.1:2381` (kubernetes/kubernetes
 * cmd/kubeadm/app/constants/constants.go `EtcdMetricsPort`). The health timer reads it.
 */
export const ETCD_METRICS_PORT = 2381;
/** The kubelet API (logs, exec, metrics; called from the masters). */
export const KUBELET_PORT = 10250;
/** The Kubernetes NodePort range (kube-apiserver's default `--service-node-port-range`). */
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;
