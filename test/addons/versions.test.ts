/**
 * Default add-on versions per Kubernetes minor, and the versions the renderer refuses: the
 * cloud-controller-manager and cluster-autoscaler images must be of the cluster's own minor.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CLOUD_CONTROLLER_MANAGER_IMAGE } from "../../addons/cloudControllerManager";
import { CLUSTER_AUTOSCALER_IMAGE } from "../../addons/clusterAutoscaler";
import { renderAddonManifests } from "../../addons/render";
import {
  CLOUD_CONTROLLER_MANAGER_VERSIONS,
  CLUSTER_AUTOSCALER_VERSIONS,
  checkAddonVersion,
  DEFAULT_EBS_CSI_DRIVER_VERSION,
  defaultAddonVersions,
  EBS_CSI_DRIVER_VERSIONS,
  NODE_TERMINATION_HANDLER_VERSIONS,
} from "../../addons/versions";
import { AWS_ADDONS } from "../../base/addons";
import { SUPPORTED_KUBERNETES_MINORS } from "../../config/defaults";
import { addonInput, workloads } from "./fixtures";

const MINORS: number[] = [];
for (let m = SUPPORTED_KUBERNETES_MINORS.min; m <= SUPPORTED_KUBERNETES_MINORS.max; m++) MINORS.push(m);

/** Every image of the rendered manifests, by repository (tag without "v"). */
function imagesFor(kubernetesVersion: string): Map<string, string> {
  const images = new Map<string, string>();
  for (const m of renderAddonManifests(addonInput({ kubernetesVersion }))) {
    for (const w of workloads(m.objects)) {
      for (const c of w.spec.template.spec.containers) {
        const [repo, tag] = c.image.split(":");
        expect(tag).toMatch(/^v\d+\.\d+\.\d+/);
        images.set(repo, tag.replace(/^v/, ""));
      }
    }
  }
  return images;
}

describe("default versions", () => {
  it("every per-minor table covers exactly the supported minors", () => {
    for (const table of [
      CLOUD_CONTROLLER_MANAGER_VERSIONS,
      CLUSTER_AUTOSCALER_VERSIONS,
      NODE_TERMINATION_HANDLER_VERSIONS,
    ]) {
      expect(Object.keys(table).map(Number).sort()).toEqual(MINORS);
    }
  });

  it("are X.Y.Z without v", () => {
    const all = [
      ...Object.values(CLOUD_CONTROLLER_MANAGER_VERSIONS),
      ...Object.values(CLUSTER_AUTOSCALER_VERSIONS),
      ...Object.values(NODE_TERMINATION_HANDLER_VERSIONS),
      ...Object.keys(EBS_CSI_DRIVER_VERSIONS),
    ];
    for (const v of all) expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    expect(EBS_CSI_DRIVER_VERSIONS).toHaveProperty([DEFAULT_EBS_CSI_DRIVER_VERSION]);
  });

  it.each(MINORS)("Kubernetes 1.%i: the CCM and CA images are of the same minor", (minor) => {
    const images = imagesFor(`1.${minor}.1`);
    expect(images.get(CLOUD_CONTROLLER_MANAGER_IMAGE)?.split(".")[1]).toBe(String(minor));
    expect(images.get(CLUSTER_AUTOSCALER_IMAGE)?.split(".")[1]).toBe(String(minor));
    const defaults = defaultAddonVersions(`1.${minor}.1`);
    expect(images.get(CLOUD_CONTROLLER_MANAGER_IMAGE)).toBe(defaults.cloudControllerManager);
    expect(images.get(CLUSTER_AUTOSCALER_IMAGE)).toBe(defaults.clusterAutoscaler);
    expect(Object.keys(defaults).sort()).toEqual([...AWS_ADDONS].sort());
  });

  it("refuses a Kubernetes minor outside the supported range", () => {
    expect(() => defaultAddonVersions("1.30.4")).toThrow(/1\.30 is not supported/);
    expect(() => defaultAddonVersions("1.36.0")).toThrow(/1\.36 is not supported/);
  });
});

describe("checkAddonVersion", () => {
  it("accepts the defaults of every supported minor", () => {
    for (const minor of MINORS) {
      const k = `1.${minor}.0`;
      for (const [addon, version] of Object.entries(defaultAddonVersions(k))) {
        expect(() => checkAddonVersion(addon as (typeof AWS_ADDONS)[number], version, k)).not.toThrow();
      }
    }
  });

  it("refuses a leading v or a partial version", () => {
    expect(() => checkAddonVersion("nodeTerminationHandler", "v1.25.6", "1.34.2")).toThrow(/X\.Y\.Z/);
    expect(() => checkAddonVersion("nodeTerminationHandler", "1.25", "1.34.2")).toThrow(/X\.Y\.Z/);
  });

  it("refuses a CCM or CA of another minor than the cluster's", () => {
    expect(() => checkAddonVersion("cloudControllerManager", "1.33.4", "1.34.2")).toThrow(
      /built for Kubernetes 1\.33/,
    );
    expect(() => checkAddonVersion("clusterAutoscaler", "1.35.2", "1.34.2")).toThrow(
      /the cluster runs 1\.34/,
    );
    expect(() => checkAddonVersion("clusterAutoscaler", "1.34.9", "1.34.2")).not.toThrow();
  });

  it("refuses an EBS CSI driver release whose sidecars are unknown", () => {
    expect(() => checkAddonVersion("ebsCsiDriver", "1.63.0", "1.34.2")).toThrow(
      /unknown ebsCsiDriver version 1\.63\.0/,
    );
  });

  it("the renderer applies it", () => {
    const input = addonInput();
    expect(() =>
      renderAddonManifests({ ...input, versions: { ...input.versions, cloudControllerManager: "1.33.4" } }),
    ).toThrow(/cloudControllerManager 1\.33\.4/);
  });
});

describe("docs/addons.md", () => {
  it("its version table states the defaults of every supported minor", () => {
    const doc = readFileSync(join(__dirname, "../../docs/addons.md"), "utf8");
    for (const minor of MINORS) {
      const d = defaultAddonVersions(`1.${minor}.0`);
      const row = `| 1.${minor} | ${d.cloudControllerManager} | ${d.clusterAutoscaler} | ${d.ebsCsiDriver} | ${d.nodeTerminationHandler} |`;
      expect(doc).toContain(row);
    }
    const sidecars = EBS_CSI_DRIVER_VERSIONS[DEFAULT_EBS_CSI_DRIVER_VERSION];
    for (const tag of Object.values(sidecars)) expect(doc).toContain(`\`${tag}\``);
  });
});
