/**
 * The real @pulumi/policy wrapper (policy/index.ts) served as the Pulumi engine would start it:
 * a child process that prints its gRPC port, on 127.0.0.1 only. This test plays the engine's
 * part (Analyze / AnalyzeStack) to prove the thin adapter reports what the pure rules find.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

let pack: ChildProcess;
let client: AnalyzerClient;

beforeAll(async () => {
  pack = spawn(process.execPath, ["-r", "@swc-node/register", "index.ts"], {
    cwd: path.join(PROJECT_ROOT, "policy"),
    env: { ...process.env, SWC_NODE_SOURCE_MAP_MODE: "none" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("policy pack did not print its port in 30 s")), 30000);
    pack.stdout?.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk.toString().trim());
    });
    pack.once("exit", (code) => reject(new Error(`policy pack exited with ${code}`)));
  });
  expect(port).toMatch(/^\d+$/);
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  pack?.kill();
});

const urn = (type: string, name: string) => `urn:pulumi:test::k8s-ha::${type}::${name}`;

function analyzeOne(type: string, name: string, props: Record<string, unknown>): Promise<string[]> {
  const req = new analyzer.AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(urn(type, name))
    .setOptions(new analyzer.AnalyzerResourceOptions())
    .setProperties(Struct.fromJavaScript(props as Record<string, never>));
  return new Promise((resolve, reject) =>
    client.analyze(req, (err, res) =>
      err ? reject(err) : resolve(res.getDiagnosticsList().map((d) => d.getPolicyname())),
    ),
  );
}

test("resource policies: a compliant launch template passes, IMDSv1 and an unencrypted disk are reported", async () => {
  const type = "aws:ec2/launchTemplate:LaunchTemplate";
  const good = {
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: true } }],
  };
  expect(await analyzeOne(type, "good", good)).toEqual([]);
  const bad = { ...good, metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 } };
  expect(await analyzeOne(type, "imdsv1", bad)).toEqual(["imdsv2-required"]);
  expect(
    await analyzeOne("aws:ebs/volume:Volume", "plain", { encrypted: false, availabilityZone: "a" }),
  ).toEqual(["ebs-encrypted"]);
});

test("stack policies: two masters (even count) are reported with the dependency-derived zones", async () => {
  const resource = (type: string, name: string, props: Record<string, unknown>, deps: string[] = []) =>
    new analyzer.AnalyzerResource()
      .setType(type)
      .setName(name)
      .setUrn(urn(type, name))
      .setOptions(new analyzer.AnalyzerResourceOptions())
      .setProperties(Struct.fromJavaScript(props as Record<string, never>))
      .setDependenciesList(deps);
  const subnetType = "aws:ec2/subnet:Subnet";
  const asgType = "aws:autoscaling/group:Group";
  const tags = [{ key: "k8sha.io/role", value: "control-plane", propagateAtLaunch: true }];
  const req = new analyzer.AnalyzeStackRequest().setResourcesList([
    resource(subnetType, "a", { availabilityZone: "eu-west-1a" }),
    resource(subnetType, "b", { availabilityZone: "eu-west-1b" }),
    resource(asgType, "m0", { tags }, [urn(subnetType, "a")]),
    resource(asgType, "m1", { tags }, [urn(subnetType, "b")]),
  ]);
  const names = await new Promise<string[]>((resolve, reject) =>
    client.analyzeStack(req, (err, res) =>
      err
        ? reject(err)
        : resolve(res.getDiagnosticsList().map((d) => `${d.getPolicyname()}: ${d.getMessage()}`)),
    ),
  );
  // Messages are "<policy>: <description>\n<finding>".
  expect(names.some((n) => /^masters-odd-count-distinct-azs: .*\n2 control-plane/s.test(n))).toBe(true);
  // The zone came from the subnet the ASG depends on: the adapter passed dependencies through.
  expect(names.some((n) => /^etcd-volume-per-master: .*\nzone eu-west-1a: 1 master/s.test(n))).toBe(true);
});
