# shellcheck shell=bash
# Claims, formats and mounts this etcd member's own EBS volume (a master's or an etcd node's). Sourced after common.sh.
# The volume id comes from the master's user-data (one volume per master, no tag search), so
# two masters can never grab each other's volume (kops #14560, #4350).
#
# Environment:
#   AWS, AWS_REGION                 AWS CLI v2 binary (aws) and region (required)
#   ETCD_VOLUME_DEVICE_NAME         device name requested from EC2             (/dev/xvdf)
#   ETCD_VOLUME_CLAIM_TIMEOUT       seconds before giving up the claim         (900)
#   ETCD_VOLUME_DETACH_GRACE        seconds a terminated owner keeps the volume
#                                   before `detach-volume --force`            (120)
#   ETCD_VOLUME_POLL_BASE/_CAP      poll back-off, first/longest seconds       (2 / 15)
#   ETCD_DEVICE_BY_ID_DIR           NVMe symlink dir                           (/dev/disk/by-id)
#   ETCD_DEVICE_FALLBACKS           Xen device names tried next    ("/dev/xvdf /dev/sdf")
#   ETCD_DEVICE_WAIT                seconds to wait for the device node        (120)
#   BLKID, MKFS_EXT4, MOUNT, MOUNTPOINT_BIN   binaries (blkid, mkfs.ext4, mount, mountpoint)
#   FSTAB                           fstab path                                 (/etc/fstab)

_aws_ec2() {
  "${AWS:-aws}" --region "${AWS_REGION:?AWS_REGION must be set}" ec2 "$@"
}

# _volume_state VOLUME_ID : print "STATE OWNER ATTACHMENT_STATE" (None when unattached).
_volume_state() {
  _aws_ec2 describe-volumes --volume-ids "$1" \
    --query 'Volumes[0].[State,Attachments[0].InstanceId,Attachments[0].State]' --output text
}

# _instance_state INSTANCE_ID : EC2 state name; "terminated" when EC2 forgot the instance.
_instance_state() {
  local out
  if out="$(_aws_ec2 describe-instances --instance-ids "$1" \
    --query 'Reservations[0].Instances[0].State.Name' --output text 2>&1)"; then
    printf '%s\n' "$out"
  elif [[ "$out" == *InvalidInstanceID.NotFound* ]]; then
    printf 'terminated\n'
  else
    log "describe-instances $1 failed: $out"
    return 1
  fi
}

# claim_etcd_volume VOLUME_ID INSTANCE_ID : attach VOLUME_ID to INSTANCE_ID and wait until
# EC2 reports it attached. A volume still held by a shutting-down/terminated predecessor is
# waited for, and force-detached only after ETCD_VOLUME_DETACH_GRACE; a RUNNING (or stopped)
# owner is never robbed: we wait, log loudly, and fail at the timeout. Idempotent on reboot.
claim_etcd_volume() {
  local volume="$1" me="$2" start now attempt=1 described state owner attachment owner_state
  local grace="${ETCD_VOLUME_DETACH_GRACE:-120}" timeout="${ETCD_VOLUME_CLAIM_TIMEOUT:-900}"
  local gone_since=""
  start="$(date +%s)"
  while true; do
    described="$(retry _volume_state "$volume")" || die "cannot describe volume $volume"
    read -r state owner attachment <<<"$described"
    now="$(date +%s)"
    case "$state/$owner" in
      available/*)
        log "volume $volume is available: attaching to $me"
        retry _aws_ec2 attach-volume --volume-id "$volume" --instance-id "$me" \
          --device "${ETCD_VOLUME_DEVICE_NAME:-/dev/xvdf}" >/dev/null ||
          log "attach-volume failed; will look again"
        ;;
      in-use/"$me")
        if [[ "$attachment" == "attached" ]]; then
          log "volume $volume is attached to this instance"
          return 0
        fi
        log "volume $volume is $attachment to this instance"
        ;;
      in-use/*)
        owner_state="$(retry _instance_state "$owner")" || die "cannot describe instance $owner"
        case "$owner_state" in
          shutting-down | terminated)
            gone_since="${gone_since:-$now}"
            if ((now - gone_since >= grace)); then
              log "volume $volume still $attachment to $owner ($owner_state) after ${grace}s: force-detaching"
              retry _aws_ec2 detach-volume --volume-id "$volume" --instance-id "$owner" --force >/dev/null ||
                log "detach-volume failed; will look again"
            else
              log "volume $volume is $attachment to predecessor $owner ($owner_state); waiting for EC2 to release it"
            fi
            ;;
          *)
            gone_since=""
            log "WARNING: volume $volume is attached to $owner which is $owner_state;" \
              "never stealing it from a live instance (two masters for one volume?)"
            ;;
        esac
        ;;
      creating/*) log "volume $volume is still being created" ;;
      *) die "volume $volume is in state '$state'; cannot use it" ;;
    esac
    if ((now - start >= timeout)); then
      die "volume $volume not attached to $me within ${timeout}s (state $state, owner $owner)"
    fi
    sleep "$(K8SHA_RETRY_BASE="${ETCD_VOLUME_POLL_BASE:-2}" K8SHA_RETRY_CAP="${ETCD_VOLUME_POLL_CAP:-15}" \
      backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
}

# _volume_device_path VOLUME_ID : print the first existing device node for the volume.
_volume_device_path() {
  local candidate
  for candidate in "${ETCD_DEVICE_BY_ID_DIR:-/dev/disk/by-id}/nvme-Amazon_Elastic_Block_Store_${1//-/}" \
    ${ETCD_DEVICE_FALLBACKS:-/dev/xvdf /dev/sdf}; do
    if [[ -e "$candidate" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# find_volume_device VOLUME_ID : print the device of the attached volume. Nitro (NVMe)
# instances name it by serial (= volume id without the dash) under /dev/disk/by-id; Xen ones
# use the requested name. Waits (bounded) for udev to create the node.
find_volume_device() {
  wait_until "${ETCD_DEVICE_WAIT:-120}" "device node of $1" _volume_device_path "$1" >/dev/null ||
    die "no device node for volume $1"
  _volume_device_path "$1"
}

# ensure_filesystem DEVICE : make an ext4 filesystem ONLY when the device carries no signature
# at all. Existing ext4 is kept as is; any other signature is refused (never reformat data).
ensure_filesystem() {
  local device="$1" fstype rc=0
  fstype="$("${BLKID:-blkid}" -p -o value -s TYPE "$device")" || rc=$?
  case "$rc" in
    0)
      [[ "$fstype" == "ext4" ]] || die "$device holds a '$fstype' signature; refusing to format it"
      log "$device already has an ext4 filesystem; keeping it"
      ;;
    2)
      log "$device is blank: creating ext4"
      "${MKFS_EXT4:-mkfs.ext4}" -q -L etcd "$device"
      ;;
    *) die "blkid -p failed on $device (exit $rc)" ;;
  esac
}

# mount_etcd_volume DEVICE MOUNTPOINT : mount by UUID (idempotent) and record it in fstab with
# nofail, so a reboot remounts it and a missing volume does not hang the boot. Creates the
# 0700 `data` sub-directory etcd wants.
mount_etcd_volume() {
  local device="$1" mountpoint="$2" uuid fstab="${FSTAB:-/etc/fstab}"
  uuid="$("${BLKID:-blkid}" -o value -s UUID "$device")"
  [[ -n "$uuid" ]] || die "$device has no filesystem UUID"
  mkdir -p "$mountpoint"
  if grep -qE "^[^#]*[[:space:]]${mountpoint}[[:space:]]" "$fstab" 2>/dev/null; then
    grep -q "^UUID=${uuid}[[:space:]]" "$fstab" ||
      die "$fstab already mounts something else at $mountpoint; refusing to guess"
  else
    log "adding UUID=$uuid $mountpoint to $fstab"
    printf 'UUID=%s %s ext4 defaults,nofail,noatime 0 2\n' "$uuid" "$mountpoint" >>"$fstab"
  fi
  if "${MOUNTPOINT_BIN:-mountpoint}" -q "$mountpoint"; then
    log "$mountpoint is already mounted"
  else
    "${MOUNT:-mount}" "UUID=$uuid" "$mountpoint"
    log "mounted $device (UUID=$uuid) at $mountpoint"
  fi
  install -d -m 0700 "$mountpoint/data"
  # A dedicated etcd node has no kubelet: its etcd unit requires the mount itself.
  if [[ "${K8SHA_ROLE:-master}" != etcd ]]; then kubelet_requires_mount "$mountpoint"; fi
}

# kubelet_requires_mount MOUNTPOINT : the kubelet (which runs etcd) starts only after, and only
# with, the etcd volume mounted: systemd's RequiresMountsFor= adds Requires= and After= on the
# mount unit, so a volume that is late or missing after a reboot holds the kubelet back instead
# of letting etcd start on the root disk. The fstab entry stays `nofail` so the node still
# boots and can be reached through Session Manager.
kubelet_requires_mount() {
  local dir="${K8SHA_SYSTEMD_DIR:-/etc/systemd/system}/kubelet.service.d"
  mkdir -p "$dir"
  printf '[Unit]\n# Written by k8sha: etcd (a static pod of this kubelet) keeps its data on the EBS volume here.\nRequiresMountsFor=%s\n' \
    "$1" >"$dir/20-k8sha-etcd-volume.conf"
  log "kubelet requires the mount of $1"
}

# attach_etcd_volume : this member's own volume (ETCD_VOLUME_ID, node.env), in its zone, claimed,
# formatted when blank and mounted at ETCD_MOUNT. Needs load_node_identity (imds.sh) first.
attach_etcd_volume() {
  [[ "$NODE_ZONE" == "$AVAILABILITY_ZONE" ]] ||
    die "instance is in $NODE_ZONE but its etcd volume lives in $AVAILABILITY_ZONE"
  local device
  claim_etcd_volume "$ETCD_VOLUME_ID" "$INSTANCE_ID"
  device="$(find_volume_device "$ETCD_VOLUME_ID")" || die "volume $ETCD_VOLUME_ID has no block device"
  ensure_filesystem "$device"
  mount_etcd_volume "$device" "$ETCD_MOUNT"
}
