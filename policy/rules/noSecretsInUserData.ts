import { BUNDLE_SIGNATURE, parseBundle } from "../bootBundle";
import { asString } from "../props";
import type { ResourcePolicy } from "../types";
import { decodeUserData } from "../userData";
import { LAUNCH_TEMPLATE_TYPE } from "./imdsv2";

/** User-data is readable by anyone with ec2:DescribeInstanceAttribute; secrets come from SSM. */
export const SECRET_PATTERNS: { what: string; re: RegExp }[] = [
  { what: "PEM private key", re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
  { what: "kubeadm bootstrap token", re: /(?<![a-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![a-z0-9])/ },
  { what: "AWS access key id", re: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/ },
  { what: "AWS secret access key", re: /aws_secret_access_key\s*[=:]\s*\S/i },
];

/** Every secret-looking thing in a text, by kind (exported for the synth summary and tests). */
export function findSecrets(text: string): string[] {
  return SECRET_PATTERNS.filter((p) => p.re.test(text)).map((p) => p.what);
}

interface Place {
  where: string;
  text: string;
}

/** User-data as a node receives it: the document and every write_files entry, decoded. */
function userDataPlaces(raw: string): Place[] {
  const decoded = decodeUserData(raw);
  return [{ where: "user-data", text: decoded.text }].concat(
    decoded.files.map((f) => ({ where: f.path, text: f.content })),
  );
}

/** A boot bundle (S3 object every node of the role may read): each file, decoded. */
function bundlePlaces(content: string): Place[] {
  return parseBundle(content).map((e) => ({ where: `boot bundle ${e.path}`, text: e.content }));
}

export const noSecretsInUserData: ResourcePolicy = {
  kind: "resource",
  name: "no-secrets-in-user-data",
  description:
    "User-data (decoded, including gz+b64 write_files) and boot bundles hold no private key, bootstrap token or AWS key.",
  check(r) {
    let places: Place[] = [];
    try {
      if (r.type === LAUNCH_TEMPLATE_TYPE || r.type === "aws:ec2/instance:Instance") {
        const raw = asString(r.props.userData) ?? asString(r.props.userDataBase64);
        if (raw) places = userDataPlaces(raw);
      } else if (r.type.startsWith("aws:s3/bucketObject")) {
        const content = asString(r.props.content);
        if (content && BUNDLE_SIGNATURE.test(content)) places = bundlePlaces(content);
      }
    } catch (err) {
      return [`boot payload of ${r.name} cannot be decoded for inspection: ${(err as Error).message}`];
    }
    return places.flatMap((p) => findSecrets(p.text).map((what) => `${what} in ${p.where} of ${r.name}`));
  },
};
