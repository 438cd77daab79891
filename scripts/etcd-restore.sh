#!/usr/bin/env bash
# Operator CLI for etcd restores (docs/backup-restore.md). On a master or a dedicated etcd node it
# runs from /opt/k8sha/bin with the libraries in /opt/k8sha/lib and the node's settings (ports,
# etcd data dir) from its node.env; in the repository it uses cloud-init/lib and the caller's
# environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${K8SHA_LIB_DIR:-}"
if [[ -z "$lib" ]]; then
  if [[ -f "$here/../cloud-init/lib/etcd-restore.sh" ]]; then lib="$here/../cloud-init/lib"; else lib=/opt/k8sha/lib; fi
fi
# The AWS CLI is a snap on Ubuntu (/snap/bin), which neither an SSM Run Command shell nor every
# sudo PATH includes: the download of an s3:// snapshot must not depend on the caller's PATH.
case ":$PATH:" in *:/snap/bin:*) ;; *) PATH="$PATH:/snap/bin" ;; esac
K8SHA_NODE_ENV="${K8SHA_NODE_ENV:-/etc/k8sha/node.env}"
if [[ -r "$K8SHA_NODE_ENV" ]]; then
  # shellcheck source=/dev/null
  . "$K8SHA_NODE_ENV"
fi
# A dedicated etcd node (external topology) has no kubeadm PKI: the tools, the member's client
# certificate and the local endpoint are its backup service's (lib/etcd-backup-timer.sh).
backup_env="${K8SHA_BACKUP_ENV_FILE:-/etc/k8sha/etcd-backup.env}"
if [[ "${K8SHA_ROLE:-master}" == etcd && -r "$backup_env" ]]; then
  set -a
  # shellcheck source=/dev/null
  . "$backup_env"
  set +a
fi
# One line per library: test/cloud-init/role-manifest.test.ts checks that the master bundle ships each.
# shellcheck source=/dev/null
. "$lib/common.sh"
# shellcheck source=/dev/null
. "$lib/etcd-tools.sh"
# shellcheck source=/dev/null
. "$lib/etcd-member.sh"
# shellcheck source=/dev/null
. "$lib/etcd-backup.sh"
# shellcheck source=/dev/null
. "$lib/etcd-restore.sh"
export K8SHA_CURRENT_STEP="etcd-restore-${1:-usage}"
etcd_restore_main "$@"
