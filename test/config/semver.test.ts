/** The one version parser and ordering under every version rule in config/. */
import { compareVersions, kubernetesMinor, parseVersion } from "../../config/semver";

test("only exact MAJOR.MINOR.PATCH parses; a leading v only when asked for", () => {
  expect(parseVersion("3.5.24")).toEqual({ major: 3, minor: 5, patch: 24 });
  expect(parseVersion("v3.5.24")).toBeUndefined();
  expect(parseVersion("v1.33.2", true)).toEqual({ major: 1, minor: 33, patch: 2 });
  expect(parseVersion(" 1.33.2\n", true)).toEqual({ major: 1, minor: 33, patch: 2 });
  for (const bad of ["3.5", "3.5.24-0", "3.5.x", "", "1.33.2 "]) expect(parseVersion(bad)).toBeUndefined();
});

test("versions order by major, then minor, then patch, numerically", () => {
  const v = (text: string) => parseVersion(text) ?? { major: -1, minor: -1, patch: -1 };
  expect(compareVersions(v("3.5.24"), v("3.5.3"))).toBeGreaterThan(0);
  expect(compareVersions(v("3.5.24"), v("3.6.0"))).toBeLessThan(0);
  expect(compareVersions(v("4.0.0"), v("3.9.9"))).toBeGreaterThan(0);
  expect(compareVersions(v("1.33.2"), v("1.33.2"))).toBe(0);
});

test("the Kubernetes minor is read only from a 1.MINOR.PATCH version", () => {
  expect(kubernetesMinor("1.34.1")).toBe(34);
  expect(kubernetesMinor("2.34.1")).toBeUndefined();
  expect(kubernetesMinor("v1.34.1")).toBeUndefined();
  expect(kubernetesMinor("1.34")).toBeUndefined();
});
