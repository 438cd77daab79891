#!/usr/bin/env bash
# Operator CLI for etcd restores (docs/backup-restore.md). On a master it runs from
# /opt/k8sha/bin with the libraries in /opt/k8sha/lib; in the repository it uses cloud-init/lib.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${K8SHA_LIB_DIR:-}"
if [[ -z "$lib" ]]; then
  if [[ -f "$here/../cloud-init/lib/etcd-restore.sh" ]]; then lib="$here/../cloud-init/lib"; else lib=/opt/k8sha/lib; fi
fi
for file in common.sh etcd-tools.sh etcd-member.sh etcd-backup.sh etcd-restore.sh; do
  # shellcheck source=/dev/null
  . "$lib/$file"
done
export K8SHA_CURRENT_STEP="etcd-restore-${1:-usage}"
etcd_restore_main "$@"
