/**
 * An S3 endpoint on loopback for tests: npm `s3rver` runs in-process on a random port of
 * 127.0.0.1 with a temp directory. The project's bash talks to it through the REAL AWS CLI v2
 * (`/usr/bin/aws --endpoint-url`); tests read it back with plain unsigned HTTP (s3rver does not
 * enforce auth on reads), which is faster than another CLI process.
 *
 * Because s3rver lives in the jest process, tests must run the CLI asynchronously (execFile,
 * spawn), never with the *Sync variants: those would block the server they are calling.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const AWS_CLI = process.env.AWS_CLI ?? "/usr/bin/aws";

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

/** One running s3rver with one bucket. */
export class S3TestServer {
  private constructor(
    private readonly server: S3rverInstance,
    private readonly dir: string,
    /** `http://127.0.0.1:<port>`, for `--endpoint-url` / `AWS_ENDPOINT_URL`. */
    readonly endpoint: string,
    readonly bucket: string,
  ) {}

  /** Start s3rver on 127.0.0.1 (random free port) with `bucket` already created. */
  static async start(bucket: string): Promise<S3TestServer> {
    const S3rver = require("s3rver") as S3rverConstructor;
    const dir = mkdtempSync(join(tmpdir(), "k8sha-s3-"));
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: bucket }],
    });
    const address = await server.run();
    return new S3TestServer(server, dir, `http://127.0.0.1:${address.port}`, bucket);
  }

  /**
   * Environment for the AWS CLI: s3rver's fixed credentials (S3RVER/S3RVER, it verifies the
   * signature), no IMDS lookups, no user config files, and the endpoint for the project's scripts.
   */
  awsEnv(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_PAGER: "",
      AWS_ENDPOINT_URL: this.endpoint,
      K8SHA_AWS: AWS_CLI,
    };
  }

  /** Every key under `prefix`, sorted (ListObjectsV2, paginated). */
  async listKeys(prefix = ""): Promise<string[]> {
    const keys: string[] = [];
    let token = "";
    for (;;) {
      const query = new URLSearchParams({ "list-type": "2", prefix });
      if (token) query.set("continuation-token", token);
      const res = await fetch(`${this.endpoint}/${this.bucket}?${query}`);
      const xml = await res.text();
      if (!res.ok) throw new Error(`list ${prefix} failed: ${res.status} ${xml}`);
      for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(decodeXml(match[1] ?? ""));
      const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml);
      if (!next) break;
      token = decodeXml(next[1] ?? "");
    }
    return keys.sort();
  }

  /** The object's bytes. */
  async getObject(key: string): Promise<Buffer> {
    const res = await fetch(`${this.endpoint}/${this.bucket}/${key}`);
    if (!res.ok) throw new Error(`get ${key} failed: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** Store an object directly (test fixtures; the code under test uploads with the AWS CLI). */
  async putObject(key: string, body: Buffer): Promise<void> {
    const res = await fetch(`${this.endpoint}/${this.bucket}/${key}`, { method: "PUT", body });
    if (!res.ok) throw new Error(`put ${key} failed: ${res.status} ${await res.text()}`);
  }

  /** User metadata (`x-amz-meta-*` headers, prefix stripped). */
  async metadata(key: string): Promise<Record<string, string>> {
    const res = await fetch(`${this.endpoint}/${this.bucket}/${key}`, { method: "HEAD" });
    if (!res.ok) throw new Error(`head ${key} failed: ${res.status}`);
    const meta: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name.startsWith("x-amz-meta-")) meta[name.slice("x-amz-meta-".length)] = value;
    });
    return meta;
  }

  /** Stop the server and delete its directory. */
  async stop(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function decodeXml(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}
