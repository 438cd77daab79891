/**
 * The network a node sees, on loopback: its instance metadata service (IMDSv2 only, like the
 * launch templates require), "the internet" (the few HTTPS downloads the boot makes, served
 * with a test CA the node's curl is told to trust), and the API load balancer's /readyz.
 * curl reaches them through its own `connect-to` option in the node's .curlrc, so the scripts
 * keep their real URLs.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import type { CertPaths } from "../pki";
import type { FakeInterface } from "./fakeAws";

export interface Listening {
  server: Server;
  port: number;
}

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export const close = (l: Listening) => new Promise<void>((resolve) => l.server.close(() => resolve()));

/**
 * What IMDS answers for one instance (paths below /latest/meta-data/), read at each request:
 * the interface's address list follows what EC2 assigned to it.
 */
export function imdsAnswers(id: {
  instanceId: string;
  zone: string;
  ip: string;
  hostname: string;
  mac: string;
  subnetCidr: string;
  eni: FakeInterface;
}): () => Record<string, string> {
  const iface = `network/interfaces/macs/${id.mac}`;
  return () => ({
    "instance-id": id.instanceId,
    "placement/availability-zone": id.zone,
    "local-ipv4": id.ip,
    "local-hostname": id.hostname,
    mac: id.mac,
    [`${iface}/subnet-ipv4-cidr-block`]: id.subnetCidr,
    [`${iface}/interface-id`]: id.eni.id,
    [`${iface}/subnet-id`]: id.eni.subnetId,
    [`${iface}/local-ipv4s`]: id.eni.addresses.join("\n"),
  });
}

/** IMDSv2: a GET without a token from PUT /latest/api/token is refused with 401, as on EC2. */
export function startImds(answers: () => Record<string, string>): Promise<Listening> {
  const tokens = new Set<string>();
  return listen(
    createHttp((req, res) => {
      if (req.method === "PUT" && req.url === "/latest/api/token") {
        if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
        const token = randomBytes(16).toString("hex");
        tokens.add(token);
        return void res.writeHead(200).end(token);
      }
      if (!tokens.has(String(req.headers["x-aws-ec2-metadata-token"] ?? "")))
        return void res.writeHead(401).end();
      const path = (req.url ?? "").replace(/^\/latest\/meta-data\//, "");
      const value = answers()[path];
      if (value === undefined) return void res.writeHead(404).end();
      res.writeHead(200).end(value);
    }),
  );
}

/** Static HTTPS downloads by host and path, e.g. `pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key`. */
export function startInternet(tls: CertPaths, files: Record<string, string | Buffer>): Promise<Listening> {
  const hits: string[] = [];
  const server = createHttps({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const url = `${String(req.headers.host).replace(/:443$/, "")}${req.url ?? ""}`;
    hits.push(url);
    const body = files[url];
    if (body === undefined) return void res.writeHead(404).end("not found");
    res.writeHead(200).end(body);
  });
  return listen(server);
}

/**
 * The API load balancer in front of the masters' API servers: /readyz answers 200 once a
 * master's kube-apiserver is up, which the fake kubeadm records in `readyFile`.
 */
export function startApi(tls: CertPaths, readyFile: string): Promise<Listening> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/readyz") && existsSync(readyFile)) return void res.writeHead(200).end("ok");
    res.writeHead(503).end("no API server behind the load balancer");
  };
  return listen(createHttps({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler));
}
