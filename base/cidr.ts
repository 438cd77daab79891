/** Small, dependency-free IPv4 CIDR arithmetic used by the config validator and the network layout. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns an error string instead of throwing so the config loader can
 * name the key. Host bits must be zero (`10.0.0.1/16` is refused: it is almost always a typo).
 */
export function parseCidr(text: string): Ipv4Cidr | string {
  const m = CIDR_PATTERN.exec(text.trim());
  if (!m) return "is not an IPv4 CIDR of the form a.b.c.d/n";
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  const prefix = Number(m[5]);
  if (prefix > 32) return "has a prefix length above 32";
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = prefix === 0 ? 0 : (address & prefixMask(prefix)) >>> 0;
  if (network !== address)
    return `has host bits set (the network address is ${formatCidr({ network, prefix })})`;
  return { network, prefix };
}

/** Like parseCidr, but throws: for values already validated. */
export function mustParseCidr(text: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw new Error(`CIDR "${text}" ${parsed}`);
  return parsed;
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function size(c: Ipv4Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Ipv4Cidr): string {
  const n = c.network;
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")}/${c.prefix}`;
}

/** A.B.C.D of a 32-bit address. */
export function formatIpv4(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
}

/** True when every address of `inner` is in `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.network >= outer.network &&
    inner.network + size(inner) <= outer.network + size(outer)
  );
}

/** True when the two ranges share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + size(b) && b.network < a.network + size(a);
}

/** The `index`-th sub-range of `parent` that is `newBits` longer (Terraform's cidrsubnet). */
export function cidrSubnet(parent: Ipv4Cidr, newBits: number, index: number): Ipv4Cidr {
  const prefix = parent.prefix + newBits;
  if (prefix > 32) throw new Error(`cannot carve /${prefix} out of ${formatCidr(parent)}`);
  if (index < 0 || index >= 2 ** newBits) {
    throw new Error(`subnet index ${index} out of range for ${newBits} new bits in ${formatCidr(parent)}`);
  }
  return { network: parent.network + index * 2 ** (32 - prefix), prefix };
}
