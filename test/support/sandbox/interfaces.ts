/**
 * The instances' primary network interfaces in the node sandbox: one veth per instance (its
 * MAC is the one IMDS reports; the peer end idles), in this machine's network namespace, where
 * every address is a loopback one. The boot adds a master's stable address to it with the real
 * `ip`; an instance's termination deletes it, and its addresses with it.
 */
import { execFileSync } from "node:child_process";

export class LoopbackInterfaces {
  private links: string[] = [];
  /** Interfaces made so far (also an ordinal for MACs and ids). */
  count = 0;

  constructor(private readonly net: number) {}

  /** A new interface with `mac`; with `stableAddress`, that address's connections come from 127.0.0.1. */
  add(mac: string, stableAddress?: string): string {
    const name = `k8s${this.net.toString(16)}${(this.count++).toString(16).padStart(3, "0")}`;
    execFileSync("ip", ["link", "add", `${name}a`, "type", "veth", "peer", "name", `${name}b`]);
    execFileSync("ip", ["link", "set", `${name}a`, "address", mac, "up"]);
    execFileSync("ip", ["link", "set", `${name}b`, "up"]);
    this.links.push(`${name}a`);
    if (stableAddress) this.sourceFromLoopback(stableAddress, `${name}a`);
    return `${name}a`;
  }

  /**
   * On one machine every connection to a local address comes from that address (the source of
   * its local route), which no other member's peer certificate names; on EC2 a peer connection
   * comes from the dialer's primary address, which its own peer certificate names. A static local
   * route with source 127.0.0.1 (in every kubeadm etcd certificate), added before the boot adds
   * the address and preferred over the kernel's, keeps etcd's check of a peer's certificate
   * against the connection's source passing as it would on EC2, instead of switching it off.
   */
  private sourceFromLoopback(address: string, link: string): void {
    execFileSync("ip", [
      ...["route", "replace", "local", `${address}/32`, "dev", link],
      ...["table", "local", "proto", "static", "scope", "host", "src", "127.0.0.1"],
    ]);
  }

  remove(link: string): void {
    try {
      execFileSync("ip", ["link", "del", link], { stdio: "ignore" });
    } catch {
      // already gone
    }
    this.links = this.links.filter((l) => l !== link);
  }

  removeAll(): void {
    for (const link of [...this.links]) this.remove(link);
  }
}
