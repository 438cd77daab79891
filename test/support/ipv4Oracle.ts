/**
 * IPv4 arithmetic of the tests' own, independent of base/cidr.ts: expected addresses are
 * computed with it, so a wrong CIDR helper in the code cannot also be the oracle.
 */

export interface Block {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) throw new Error(`not an IPv4 address: ${ip}`);
  return m.slice(1).reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export const intToIp = (n: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

export function block(cidr: string): Block {
  const [ip, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const base = ipToInt(ip ?? "");
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix in ${cidr}`);
  // A reservation whose address has host bits set is not a valid CIDR block for EC2.
  if (base % 2 ** (32 - prefix) !== 0) throw new Error(`${cidr} has host bits set`);
  return { base, prefix };
}

export const blockSize = (b: Block) => 2 ** (32 - b.prefix);
export const contains = (outer: Block, inner: Block) =>
  inner.prefix >= outer.prefix &&
  inner.base >= outer.base &&
  inner.base + blockSize(inner) <= outer.base + blockSize(outer);
export const holds = (b: Block, ip: string) => ipToInt(ip) >= b.base && ipToInt(ip) < b.base + blockSize(b);
