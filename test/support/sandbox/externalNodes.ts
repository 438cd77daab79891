/**
 * What the sandbox tells of a node of the external etcd topology (etcd.topology: external) from
 * its files: whether it is a stateless master, and whether its kube-apiserver "static pod" (the
 * fake API server kube-node.js runs) is alive.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NodeSandbox } from "./node";

/** A master whose node.env names the external topology: no etcd member, no etcd volume. */
export function isExternalEtcdMaster(node: NodeSandbox): boolean {
  const env = node.read("etc/k8sha/node.env");
  return /^K8SHA_ROLE='master'$/m.test(env) && /^ETCD_TOPOLOGY='external'$/m.test(env);
}

/** Whether the node's kube-apiserver process runs (its pid file names a live process). */
export function apiServerRunning(node: NodeSandbox): boolean {
  try {
    const pid = Number(readFileSync(join(node.o.dir, "pods/kube-apiserver.pid"), "utf8").trim());
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
