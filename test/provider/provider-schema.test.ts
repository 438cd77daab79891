/**
 * Runs what the Pulumi Node.js plugin host runs for `pulumi package add <repo>@<tag>`
 * (@pulumi/pulumi cmd/run-plugin): require the package directory (package.json "main"),
 * collect its exported ComponentResource classes, derive the provider name from package.json
 * "name", then generate the schema with the real TypeScript analyzer. No Pulumi CLI: booting
 * the plugin over gRPC and generating SDKs from this schema are not exercised here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { parse } from "yaml";
import { SECTION_KEYS } from "../../config/schema";
import { PROVIDER_PACKAGE } from "../../provider/cluster";
import { PROJECT_ROOT } from "../../synth/mockRuntime";

interface Property {
  type?: string;
  $ref?: string;
  plain?: boolean;
  secret?: boolean;
  items?: Property;
  additionalProperties?: Property;
}
interface Resource {
  isComponent: boolean;
  inputProperties: Record<string, Property>;
  requiredInputs: string[];
  properties: Record<string, Property>;
  required: string[];
}
interface Schema {
  name: string;
  resources: Record<string, Resource>;
  types: Record<string, { type: string; properties: Record<string, Property>; required: string[] }>;
}

const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  name: string;
  main: string;
  types: string;
  exports: { ".": { types: string; default: string } };
};
const TOKEN = `${PROVIDER_PACKAGE}:index:Cluster`;
let schema: Schema;
let componentNames: string[];

beforeAll(async () => {
  // run-plugin: require(<plugin dir>) resolves package.json "main".
  const components = getPulumiComponents(require(PROJECT_ROOT));
  componentNames = components.map((c) => c.name);
  // run-plugin: provider name = package.json name without scope, non [-a-zA-Z0-9_] replaced.
  const name = packageJson.name.replace(/^@.*?\//, "").replace(/[^-a-zA-Z0-9_]/g, "-");
  const provider = new ComponentProvider({ name, dirname: PROJECT_ROOT, components });
  schema = JSON.parse(await provider.getSchema()) as Schema;
});

test("the plugin entry is the wrapper package; the TypeScript library entry is unchanged", () => {
  expect(path.relative(PROJECT_ROOT, require.resolve(PROJECT_ROOT))).toBe(path.join("provider", "index.ts"));
  expect(componentNames).toEqual(["Cluster"]);
  expect(packageJson.exports["."]).toEqual({
    types: "./bin/components/index.d.ts",
    default: "./bin/components/index.js",
  });
  expect(packageJson.types).toBe("bin/components/index.d.ts");
  // The manifest only names the runtime; an entry override there would bypass package.json.
  const manifest = parse(fs.readFileSync(path.join(PROJECT_ROOT, "PulumiPlugin.yaml"), "utf8"));
  expect(manifest).toEqual({ runtime: "nodejs" });
});

test("schema package name and resource token are what the component provider constructs", () => {
  expect(schema.name).toBe(PROVIDER_PACKAGE);
  expect(Object.keys(schema.resources)).toEqual([TOKEN]);
  // construct() rejects any other package or module; this is the token SDKs will request.
  expect(() => ComponentProvider.validateResourceType(schema.name, TOKEN)).not.toThrow();
  expect(schema.resources[TOKEN].isComponent).toBe(true);
});

/** Each named object type of the wrapper and the spec section whose keys it must have. */
const SECTION_OF_TYPE: Record<string, keyof typeof SECTION_KEYS> = {
  NetworkSettings: "network",
  ExistingVpcSettings: "existingVpc",
  ApiSettings: "api",
  MasterSettings: "masters",
  EtcdSettings: "etcd",
  EtcdVolumeSettings: "etcdVolume",
  WorkerPoolSettings: "workerPool",
  TaintSettings: "taint",
  LeaderElectionSettings: "leaderElection",
  BackupSettings: "backup",
  CniSettings: "cni",
  ReadinessGateSettings: "readinessGate",
  RollingSettings: "rolling",
  MonitoringSettings: "monitoring",
  AddonsSettings: "addons",
  AddonSettings: "addon",
  EbsCsiDriverSettings: "ebsCsiDriver",
};

test("inputs: the cluster spec's keys (config/schema.ts), name and region required, all plain", () => {
  const cluster = schema.resources[TOKEN];
  expect(cluster.requiredInputs).toEqual(["clusterName", "region"]);
  expect(Object.keys(cluster.inputProperties).sort()).toEqual([...SECTION_KEYS.cluster].sort());
  for (const prop of Object.values(cluster.inputProperties)) expect(prop.plain).toBe(true);
  expect(cluster.inputProperties.availabilityZones.items?.type).toBe("string");
  expect(cluster.inputProperties.tags.additionalProperties?.type).toBe("string");
  expect(cluster.inputProperties.workerPools.items?.$ref).toBe(
    `#/types/${PROVIDER_PACKAGE}:index:WorkerPoolSettings`,
  );
});

test("every nested type has exactly the keys of its spec section, and every section has a type", () => {
  const typeNames = Object.keys(schema.types).map((t) => t.slice(`${PROVIDER_PACKAGE}:index:`.length));
  expect(typeNames.sort()).toEqual(Object.keys(SECTION_OF_TYPE).sort());
  for (const [typeName, section] of Object.entries(SECTION_OF_TYPE)) {
    const props = Object.keys(schema.types[`${PROVIDER_PACKAGE}:index:${typeName}`].properties);
    expect({ typeName, keys: props.sort() }).toEqual({ typeName, keys: [...SECTION_KEYS[section]].sort() });
  }
  const sectionsWithKeys = Object.keys(SECTION_KEYS).filter((s) => s !== "cluster");
  expect(Object.values(SECTION_OF_TYPE).sort()).toEqual(sectionsWithKeys.sort());
});

test("nested types: named object types, enums as strings, required fields where the stack requires them", () => {
  const type = (name: string) => schema.types[`${PROVIDER_PACKAGE}:index:${name}`];
  expect(type("NetworkSettings").properties.natGateways.type).toBe("string");
  expect(type("ApiSettings").properties.exposure.type).toBe("string");
  expect(type("EtcdVolumeSettings").properties.type.type).toBe("string");
  expect(type("WorkerPoolSettings").required).toEqual(["name"]);
  expect(type("TaintSettings").required).toEqual(["effect", "key", "value"]);
  expect(type("ExistingVpcSettings").required).toEqual([...SECTION_KEYS.existingVpc].sort());
  expect(type("MasterSettings").properties.count.type).toBe("number");
  expect(type("WorkerPoolSettings").properties.zonal.type).toBe("boolean");
  // Each add-on is its own optional section; the CSI driver's has the StorageClass switch besides.
  const ref = (name: string) => `#/types/${PROVIDER_PACKAGE}:index:${name}`;
  expect(schema.resources[TOKEN].inputProperties.addons.$ref).toBe(ref("AddonsSettings"));
  const addons = type("AddonsSettings");
  expect(addons.required ?? []).toEqual([]);
  expect(addons.properties.ebsCsiDriver.$ref).toBe(ref("EbsCsiDriverSettings"));
  for (const addon of ["cloudControllerManager", "clusterAutoscaler", "nodeTerminationHandler"])
    expect({ addon, ref: addons.properties[addon].$ref }).toEqual({ addon, ref: ref("AddonSettings") });
  expect(type("AddonSettings").properties.enabled.type).toBe("boolean");
  expect(type("AddonSettings").properties.version.type).toBe("string");
  expect(type("EbsCsiDriverSettings").properties.defaultStorageClass.type).toBe("boolean");
  // Monitoring: an optional section of a switch and two address lists, nothing required.
  expect(schema.resources[TOKEN].inputProperties.monitoring.$ref).toBe(ref("MonitoringSettings"));
  const monitoring = type("MonitoringSettings");
  expect(monitoring.required ?? []).toEqual([]);
  expect(monitoring.properties.enabled.type).toBe("boolean");
  for (const list of ["emailSubscriptions", "httpsSubscriptions"])
    expect({ list, items: monitoring.properties[list].items?.type }).toEqual({ list, items: "string" });
  // Every $ref points at a type the schema defines (a dangling ref fails SDK generation).
  const refs = JSON.stringify(schema).match(/#\/types\/[^"]+/g) ?? [];
  expect(refs.length).toBeGreaterThan(0);
  for (const ref of refs) expect(Object.keys(schema.types)).toContain(ref.slice("#/types/".length));
});

test("outputs: endpoint, kubeconfig, master and worker ASGs, network ids, backup location", () => {
  const cluster = schema.resources[TOKEN];
  expect(cluster.required).toEqual(
    [
      "apiEndpoint",
      "apiLoadBalancerDnsName",
      "backupLocation",
      "clusterName",
      "etcdVolumeIds",
      "kubeconfig",
      "masterAsgNames",
      "privateSubnetIds",
      "publicSubnetIds",
      "vpcId",
      "workerAsgNames",
    ].sort(),
  );
  expect(cluster.properties.kubeconfig.type).toBe("string");
  // The analyzer has no secret marker; secrecy travels with the value (provider-construct test).
  expect(cluster.properties.kubeconfig.secret).toBeUndefined();
  expect(cluster.properties.masterAsgNames).toEqual(expect.objectContaining({ type: "array" }));
  expect(cluster.properties.masterAsgNames.items?.type).toBe("string");
  expect(cluster.properties.workerAsgNames.additionalProperties?.type).toBe("string");
});
