/**
 * A key whose namespace is a typo of `k8s-ha` is refused by name, the same way by the
 * program's loader (parseConfig over `pulumi.runtime.allConfig()`) and by the offline synth;
 * real provider namespaces pass. A stack-file key without a namespace belongs to the project,
 * as the Pulumi CLI does it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import { CONFIG_NAMESPACE } from "../../config/resolve";
import { parseConfig } from "../../config/stack";
import { isMistypedNamespace } from "../../config/stack-namespaces";
import { PROJECT_ROOT, readStackConfig, synthesize } from "../../synth/mockRuntime";
import { devConfig, expectSingleProblem } from "../support/configRefusal";

const masters = JSON.stringify({ count: 5, instanceType: "t3.large" });

test.each(["k8sha", "k8s_ha", "k8s-HA", "K8S-HA", "k8-ha", "k8s-hax", "k8s-ha-aws"])(
  "namespace %s is refused as a typo of k8s-ha, naming the key",
  (namespace) => {
    expectSingleProblem(
      { [`${namespace}:masters`]: masters },
      new RegExp(
        `${namespace.replace(/[-.]/g, "\\$&")}:masters: .* is invalid: namespace "${namespace}" looks like a typo of "k8s-ha" and would be ignored; write k8s-ha:masters`,
      ),
    );
  },
);

test.each([
  "aws",
  "aws-native",
  "awsx",
  "pulumi",
  "command",
  "tls",
  "random",
  "kubernetes",
  "eks",
  "docker",
  "github",
  "cloudflare",
  "vault",
  "datadog",
])("provider namespace %s is not ours and passes", (namespace) => {
  expect(isMistypedNamespace(namespace, "k8s-ha")).toBe(false);
  expect(() => parseConfig({ ...devConfig, [`${namespace}:someSetting`]: "x" })).not.toThrow();
});

test("a key without a namespace handed to the loader directly is refused", () => {
  expect(() => parseConfig({ ...devConfig, masters })).toThrow(
    /masters: .* is invalid: a key without a namespace; write k8s-ha:masters/,
  );
});

describe("stack files", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-ns-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a bare key in Pulumi.<stack>.yaml is the project's key, as the Pulumi CLI reads it", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.bare.yaml"),
      "config:\n  aws:region: eu-west-1\n  clusterName: bare\n  masters:\n    instanceType: t3.large\n",
    );
    const values = readStackConfig("bare", dir);
    expect(values).toEqual({
      "aws:region": "eu-west-1",
      "k8s-ha:clusterName": "bare",
      "k8s-ha:masters": '{"instanceType":"t3.large"}',
    });
    expect(parseConfig(values).masters.instanceType).toBe("t3.large");
  });

  test("a bare misspelt key fails like any unknown key of ours", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.bare2.yaml"),
      "config:\n  aws:region: eu-west-1\n  clusterName: x\n  mastres: {}\n",
    );
    expect(() => parseConfig(readStackConfig("bare2", dir))).toThrow(
      /k8s-ha:mastres: "\{\}" is invalid: unknown key "mastres"/,
    );
  });
});

test("the real program under mocks (allConfig -> loadConfig) refuses a typo namespace before any resource", async () => {
  let error: unknown;
  try {
    await synthesize("dev", { "k8sha:masters": masters });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  expect(String((error as Error).message)).toMatch(
    /k8sha:masters: .* is invalid: namespace "k8sha" looks like a typo/,
  );
  expect(error instanceof ConfigError || (error as Error).name === "ConfigError").toBe(true);
});

test("the config namespace is the Pulumi project's name, which the CLI puts before every stack key", () => {
  const project = /^name:\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
  expect(project?.[1]).toBe(CONFIG_NAMESPACE);
});
