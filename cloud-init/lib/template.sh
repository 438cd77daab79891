# shellcheck shell=bash
# Fills the templates user-data ships (cloud-init/placeholders.ts): each {{NAME}} stands for one
# value only the node knows at boot and is replaced by it. The renderer wrote every placeholder as
# a double-quoted YAML scalar of its own, and every value is checked here against a strict pattern
# for its kind, none of which admits `"`, `\`, a line break or `{`, so nothing is quoted and no
# YAML is written in bash. Sourced after common.sh.

# template_value_ok NAME VALUE : VALUE is valid for placeholder NAME (the kinds placeholders.ts lists).
template_value_ok() {
  local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' label='[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?'
  case "$1" in
    NODE_NAME) ((${#2} <= 253)) && [[ "$2" =~ ^$label(\.$label)*$ ]] ;;
    NODE_IP) [[ "$2" =~ ^($octet\.){3}$octet$ ]] ;;
    BOOTSTRAP_TOKEN) [[ "$2" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] ;;
    DISCOVERY_HASH) [[ "$2" =~ ^sha256:[0-9a-f]{64}$ ]] ;;
    INTERFACE) [[ "$2" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$ ]] ;;
    # aws:///<availability-zone>/<instance-id>, as imds_provider_id builds it.
    PROVIDER_ID) [[ "$2" =~ ^aws:///[a-z0-9-]+/i-[0-9a-f]+$ ]] ;;
    *) return 1 ;;
  esac
}

# fill_template TEMPLATE OUT NAME=VALUE... : OUT is TEMPLATE with every {{NAME}} replaced by its
# VALUE, written atomically with mode 0600 (a filled kubeadm config holds the bootstrap token).
# Refused, with OUT untouched, when a value fails its check (the value is not logged: it may be
# the token), when TEMPLATE lacks a placeholder given, or when a placeholder is left unfilled.
# NAME?=VALUE is a value the template may not use (the provider ID: only templates rendered for
# the external cloud provider hold it); it is checked and filled only where the template has it.
fill_template() {
  local template="$1" out="$2" text pair name value
  shift 2
  [[ -r "$template" ]] || die "template $template is missing"
  text="$(<"$template")"
  for pair in "$@"; do
    name="${pair%%=*}"
    value="${pair#*=}"
    if [[ "$name" == *"?" ]]; then
      name="${name%"?"}"
      [[ "$text" == *"{{$name}}"* ]] || continue
    fi
    template_value_ok "$name" "$value" || die "refusing to write $out: the $name value is not valid"
    [[ "$text" == *"{{$name}}"* ]] || die "$template has no {{$name}}"
    # Pattern and replacement quoted: literal text, and no `&` expansion (bash 5.2 patsub_replacement).
    text="${text//"{{$name}}"/"$value"}"
  done
  if [[ "$text" =~ \{\{([A-Z_]+)\}\} ]]; then
    die "$template needs a value for {{${BASH_REMATCH[1]}}}"
  fi
  mkdir -p "$(dirname "$out")"
  (
    umask 077
    printf '%s\n' "$text" >"$out.tmp"
  )
  mv -f "$out.tmp" "$out"
}
