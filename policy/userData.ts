/**
 * Decodes EC2 user-data the way cloud-init reads it: base64 (launch templates require it),
 * optionally gzip, a `#cloud-config` document whose `write_files` may be b64 or gz+b64.
 * Shared by the no-secrets policy and the offline synth, so both look at what a node
 * really receives rather than at the encoded blob.
 */
import * as zlib from "node:zlib";
import { parse as parseYaml } from "yaml";
import { asArray, asRecord, asString } from "./props";

export interface DecodedFile {
  path: string;
  permissions?: string;
  owner?: string;
  content: string;
}

export interface DecodedUserData {
  format: "cloud-config" | "script" | "other";
  /** The user-data document after base64/gzip decoding. */
  text: string;
  /** `write_files` entries with their content decoded. */
  files: DecodedFile[];
}

const BASE64_RE = /^[A-Za-z0-9+/=\r\n]+$/;

function gunzipIfCompressed(bytes: Buffer): Buffer {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes;
}

/** Turns the raw `userData` property into text; plain text passes through unchanged. */
export function userDataText(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.startsWith("#") || !BASE64_RE.test(trimmed)) return raw;
  return gunzipIfCompressed(Buffer.from(trimmed, "base64")).toString("utf8");
}

/** Decodes one write_files `content` according to its cloud-init `encoding`. */
export function decodeWriteFileContent(content: string, encoding: string | undefined): string {
  const enc = (encoding ?? "text/plain").toLowerCase();
  const isBase64 = ["b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"].includes(enc);
  const isGzip = enc.startsWith("gz");
  let bytes = isBase64 ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
  if (isGzip) bytes = zlib.gunzipSync(bytes);
  return bytes.toString("utf8");
}

export function decodeUserData(raw: string): DecodedUserData {
  const text = userDataText(raw);
  if (!text.startsWith("#cloud-config")) {
    return { format: text.startsWith("#!") ? "script" : "other", text, files: [] };
  }
  const doc = asRecord(parseYaml(text));
  const files = asArray(doc.write_files).map((entry) => {
    const f = asRecord(entry);
    const file: DecodedFile = {
      path: asString(f.path) ?? "(no path)",
      content: decodeWriteFileContent(asString(f.content) ?? "", asString(f.encoding)),
    };
    const permissions = asString(f.permissions);
    const owner = asString(f.owner);
    if (permissions) file.permissions = permissions;
    if (owner) file.owner = owner;
    return file;
  });
  return { format: "cloud-config", text, files };
}
