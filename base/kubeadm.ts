/** The kubeadm configuration API every rendered document uses (kubeadm >= 1.31 reads v1beta4). */
export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";
