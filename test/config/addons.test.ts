/**
 * The `addons` section and the worker pools' `zonal` switch: defaults (the add-on versions for
 * the cluster's Kubernetes minor), and each refusal by key, value and what is allowed, alone.
 */

import * as rendererVersions from "../../addons/versions";
import { AWS_ADDONS } from "../../base/addons";
import {
  CLOUD_CONTROLLER_MANAGER_VERSIONS,
  CLUSTER_AUTOSCALER_VERSIONS,
  defaultAddonVersions,
  EBS_CSI_DRIVER_VERSIONS,
} from "../../config/addon-versions";
import {
  ADDON_DEFAULTS,
  DEFAULT_KUBERNETES_VERSION,
  SUPPORTED_KUBERNETES_MINORS,
} from "../../config/defaults";
import { ConfigError } from "../../config/errors";
import { SECTION_KEYS } from "../../config/schema";
import { parseConfig } from "../../config/stack";
import { applyOverrides, readStackConfig } from "../../synth/mockRuntime";
import { devConfig, expectSingleProblem, type RefusalCase } from "../support/configRefusal";

const minors = Array.from(
  { length: SUPPORTED_KUBERNETES_MINORS.max - SUPPORTED_KUBERNETES_MINORS.min + 1 },
  (_, i) => SUPPORTED_KUBERNETES_MINORS.min + i,
);

describe.each(["dev", "prod"])("%s stack", (stack) => {
  test("every add-on is on at defaultAddonVersions(kubernetesVersion), the CSI StorageClass the default", () => {
    const spec = parseConfig(readStackConfig(stack));
    const versions = defaultAddonVersions(spec.kubernetesVersion);
    expect(Object.keys(spec.addons)).toEqual([...AWS_ADDONS]);
    for (const addon of AWS_ADDONS) {
      expect({ addon, enabled: spec.addons[addon].enabled, version: spec.addons[addon].version }).toEqual({
        addon,
        enabled: true,
        version: versions[addon],
      });
    }
    expect(spec.addons.ebsCsiDriver.defaultStorageClass).toBe(true);
    expect(spec.workerPools.every((p) => p.zonal === false)).toBe(true);
  });
});

test("the default versions follow kubernetesVersion, not the project's default Kubernetes", () => {
  const older = `1.${SUPPORTED_KUBERNETES_MINORS.min}.0`;
  const spec = parseConfig(applyOverrides(devConfig, { kubernetesVersion: older }));
  expect(spec.addons.cloudControllerManager.version).toBe(defaultAddonVersions(older).cloudControllerManager);
  expect(spec.addons.clusterAutoscaler.version).toBe(defaultAddonVersions(older).clusterAutoscaler);
  expect(spec.addons.clusterAutoscaler.version).not.toBe(
    defaultAddonVersions(DEFAULT_KUBERNETES_VERSION).clusterAutoscaler,
  );
});

test.each(minors)("Kubernetes 1.%i: the default versions are X.Y.Z and pass the minor rule", (minor) => {
  const versions = defaultAddonVersions(`1.${minor}.0`);
  for (const addon of AWS_ADDONS)
    expect({ addon, v: versions[addon] }).toEqual({ addon, v: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  expect(versions.cloudControllerManager.startsWith(`1.${minor}.`)).toBe(true);
  expect(versions.clusterAutoscaler.startsWith(`1.${minor}.`)).toBe(true);
  expect(CLOUD_CONTROLLER_MANAGER_VERSIONS[minor]).toBe(versions.cloudControllerManager);
  expect(CLUSTER_AUTOSCALER_VERSIONS[minor]).toBe(versions.clusterAutoscaler);
  // A stack that only names the Kubernetes version resolves with every add-on on.
  const spec = parseConfig(applyOverrides(devConfig, { kubernetesVersion: `1.${minor}.0` }));
  expect(AWS_ADDONS.every((a) => spec.addons[a].enabled)).toBe(true);
});

test("explicit settings are kept: add-ons off, a pinned version, no default StorageClass, a zonal pool", () => {
  const ccm = defaultAddonVersions(DEFAULT_KUBERNETES_VERSION).cloudControllerManager;
  const pinned = ccm.replace(/\.\d+$/, ".0");
  const spec = parseConfig(
    applyOverrides(devConfig, {
      addons: {
        cloudControllerManager: { version: pinned },
        ebsCsiDriver: { enabled: false, defaultStorageClass: false },
        clusterAutoscaler: { enabled: false },
      },
      workerPools: [{ name: "general", zonal: true }],
    }),
  );
  expect(spec.addons.cloudControllerManager).toEqual({ enabled: true, version: pinned });
  expect(spec.addons.ebsCsiDriver).toMatchObject({ enabled: false, defaultStorageClass: false });
  expect(spec.addons.clusterAutoscaler.enabled).toBe(false);
  expect(spec.addons.nodeTerminationHandler.enabled).toBe(ADDON_DEFAULTS.enabled);
  expect(spec.workerPools[0].zonal).toBe(true);
});

test("with both the cloud controller and the CSI driver off there is nothing to refuse", () => {
  const spec = parseConfig(
    applyOverrides(devConfig, {
      addons: { cloudControllerManager: { enabled: false }, ebsCsiDriver: { enabled: false } },
    }),
  );
  expect(spec.addons.cloudControllerManager.enabled).toBe(false);
  expect(spec.addons.ebsCsiDriver.enabled).toBe(false);
});

/** A pattern matching `text` as it is. */
const literally = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
const k8sMinor = Number(DEFAULT_KUBERNETES_VERSION.split(".")[1]);
const otherMinor = `1.${k8sMinor - 1}.4`;
const cases: RefusalCase[] = [
  [
    "cluster-autoscaler of another Kubernetes minor",
    { addons: { clusterAutoscaler: { version: otherMinor } } },
    new RegExp(
      `k8s-ha:addons\\.clusterAutoscaler\\.version: "${otherMinor.replace(/\./g, "\\.")}" is invalid: a 1\\.${k8sMinor}\\.x release, the minor of kubernetesVersion`,
    ),
  ],
  [
    "cloud controller of another Kubernetes minor",
    { addons: { cloudControllerManager: { version: otherMinor } } },
    new RegExp(
      `k8s-ha:addons\\.cloudControllerManager\\.version: .* is invalid: a 1\\.${k8sMinor}\\.x release`,
    ),
  ],
  [
    "a version with a leading v",
    { addons: { cloudControllerManager: { version: `v1.${k8sMinor}.1` } } },
    new RegExp(
      `k8s-ha:addons\\.cloudControllerManager\\.version: "v1\\.${k8sMinor}\\.1" is invalid: a release X\\.Y\\.Z without "v"`,
    ),
  ],
  [
    "a version that is not X.Y.Z",
    { addons: { nodeTerminationHandler: { version: "1.25" } } },
    /k8s-ha:addons\.nodeTerminationHandler\.version: "1\.25" is invalid: a release X\.Y\.Z without "v"/,
  ],
  [
    "a CSI driver release whose sidecars the project does not pin",
    { addons: { ebsCsiDriver: { version: "1.0.0" } } },
    literally(
      `k8s-ha:addons.ebsCsiDriver.version: "1.0.0" is invalid: one of ${Object.keys(EBS_CSI_DRIVER_VERSIONS).join(", ")} (the driver releases`,
    ),
  ],
  [
    "a typo in an add-on's name",
    { addons: { ebsCsi: { enabled: true } } },
    /k8s-ha:addons\.ebsCsi: \{"enabled":true\} is invalid: unknown key "ebsCsi"; allowed keys here: cloudControllerManager, ebsCsiDriver, clusterAutoscaler, nodeTerminationHandler/,
  ],
  [
    "a key the add-on does not have",
    { addons: { clusterAutoscaler: { defaultStorageClass: true } } },
    /k8s-ha:addons\.clusterAutoscaler\.defaultStorageClass: true is invalid: unknown key "defaultStorageClass"; allowed keys here: enabled, version$/m,
  ],
  [
    "the CSI driver (on by default) without the cloud controller",
    { addons: { cloudControllerManager: { enabled: false } } },
    /k8s-ha:addons\.ebsCsiDriver\.enabled: true \(default\) is invalid: requires k8s-ha:addons\.cloudControllerManager\.enabled: true \(the driver's node plugin reads its instance id and zone from the Node's providerID/,
  ],
  [
    "enabled as a string",
    { addons: { nodeTerminationHandler: { enabled: "yes" } } },
    /k8s-ha:addons\.nodeTerminationHandler\.enabled: "yes" is invalid: must be true or false/,
  ],
  [
    "addons not an object",
    { addons: ["cloudControllerManager"] },
    /k8s-ha:addons: .* is invalid: must be an object/,
  ],
  [
    "zonal as a string",
    { workerPools: [{ name: "general", zonal: "true" }] },
    /k8s-ha:workerPools\[0\]\.zonal: "true" is invalid: must be true or false/,
  ],
];

test.each(cases)("refused: %s", (_name, overrides, expected) => expectSingleProblem(overrides, expected));

test("an unsupported kubernetesVersion is one problem, not one per add-on version as well", () => {
  expectSingleProblem({ kubernetesVersion: "1.29.3" }, /k8s-ha:kubernetesVersion: "1\.29\.3" is invalid/);
});

test("a misspelt top-level key is refused by the stack decoder, naming addons as allowed", () => {
  expect(() => parseConfig({ ...devConfig, "k8s-ha:addon": "{}" })).toThrow(ConfigError);
  expect(() => parseConfig({ ...devConfig, "k8s-ha:addon": "{}" })).toThrow(
    /unknown key "addon"; allowed keys: .*addons/,
  );
});

test("the schema lists each add-on's keys, the CSI driver's with its StorageClass switch", () => {
  expect(SECTION_KEYS.addons).toEqual([...AWS_ADDONS]);
  expect(SECTION_KEYS.addon).toEqual(["enabled", "version"]);
  expect(SECTION_KEYS.ebsCsiDriver).toEqual(["enabled", "version", "defaultStorageClass"]);
  expect(SECTION_KEYS.workerPool).toContain("zonal");
});

test("the renderer serves the same pinned releases the resolver defaults to (config/addon-versions.ts)", () => {
  // addons/ reads its tables from config/ (config/ may not import addons/): one set of versions.
  expect(rendererVersions.CLOUD_CONTROLLER_MANAGER_VERSIONS).toEqual(CLOUD_CONTROLLER_MANAGER_VERSIONS);
  expect(rendererVersions.CLUSTER_AUTOSCALER_VERSIONS).toEqual(CLUSTER_AUTOSCALER_VERSIONS);
  expect(rendererVersions.EBS_CSI_DRIVER_VERSIONS).toEqual(EBS_CSI_DRIVER_VERSIONS);
  for (const minor of minors) {
    const kubernetesVersion = `1.${minor}.0`;
    expect(rendererVersions.defaultAddonVersions(kubernetesVersion)).toEqual(
      defaultAddonVersions(kubernetesVersion),
    );
  }
});
