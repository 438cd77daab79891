/**
 * Templates: YAML files rendered here, whole, whose only unknowns are values a node learns at
 * boot (its name, addresses and provider ID from IMDS, the bootstrap token and CA hash from SSM, an interface
 * name). Each such value is a placeholder `{{NAME}}` that fills a double-quoted YAML scalar by
 * itself. `lib/template.sh` checks every value against a strict pattern for its kind (none of
 * them can hold `"`, `\` or a line break) before it substitutes it, so bash writes no YAML and
 * needs no quoting: the structure is fixed here.
 */
import { Document, Scalar, visit } from "yaml";

/** Every placeholder, with the kind of value `lib/template.sh` accepts for it. */
export const PLACEHOLDERS = {
  NODE_NAME: "DNS name (the EC2 private DNS name, lower case)",
  NODE_IP: "IPv4 address",
  BOOTSTRAP_TOKEN: "bootstrap token [a-z0-9]{6}.[a-z0-9]{16}",
  DISCOVERY_HASH: "CA public key pin sha256:[0-9a-f]{64}",
  INTERFACE: "network interface name",
  PROVIDER_ID: "EC2 provider ID aws:///<availability-zone>/i-<hex> (the kubelet's --provider-id)",
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

/** The text that stands for `name` in a template. */
export function placeholder(name: Placeholder): string {
  return `{{${name}}}`;
}

const WHOLE_PLACEHOLDER = /^\{\{([A-Z_]+)\}\}$/;

/**
 * A scalar that is a placeholder is written double-quoted (a node name could read as a number or
 * a boolean otherwise). Any other text with braces is refused: bash would take it for a
 * placeholder left unfilled, or fill it.
 */
function quotePlaceholder(node: Scalar): void {
  if (typeof node.value !== "string" || !/\{\{|\}\}/.test(node.value)) return;
  const name = WHOLE_PLACEHOLDER.exec(node.value)?.[1];
  if (name === undefined || !(name in PLACEHOLDERS)) {
    throw new Error(`template value ${JSON.stringify(node.value)} is not exactly one known placeholder`);
  }
  node.type = Scalar.QUOTE_DOUBLE;
}

/** The YAML of `docs` (one document each, `---` between them), placeholders double-quoted. */
export function renderYaml(docs: readonly object[]): string {
  return docs
    .map((value) => {
      // YAML 1.1 rules, which kubeadm (sigs.k8s.io/yaml), kubectl and netplan read with: strings such
      // as yes, no, on, off, y and n are quoted, or they would arrive as booleans in string fields.
      const doc = new Document(value, { version: "1.1" });
      // Visits map keys too (a netplan interface name is one).
      visit(doc, { Scalar: (_, node) => quotePlaceholder(node) });
      return doc.toString({ lineWidth: 0 });
    })
    .join("---\n");
}

/** The placeholders `text` holds, sorted (what the boot must fill in). */
export function placeholdersIn(text: string): Placeholder[] {
  const found = [...text.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1] as Placeholder);
  return [...new Set(found)].sort();
}
