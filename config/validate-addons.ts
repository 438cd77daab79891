/** cni.* and readinessGate.*: the pod network add-on and the deploy-time readiness wait. */
import { CNI_DEFAULTS, CNI_VERSIONS, READINESS_GATE_DEFAULTS } from "./defaults";
import { READINESS_TIMEOUT_MINUTES } from "./limits";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { CniConfig, CniProvider, ReadinessGateConfig } from "./types";

const PROVIDERS: readonly CniProvider[] = ["calico", "cilium", "flannel"];
const REFUSED_PROVIDERS = {
  weave: "Weave Net is unmaintained since Weaveworks closed in 2024 and gets no security fixes",
};

export function readCni(root: Section): CniConfig {
  const cni = root.section("cni", SECTION_KEYS.cni);
  const provider = cni.oneOf("provider", CNI_DEFAULTS.provider, PROVIDERS, REFUSED_PROVIDERS);
  const version = cni.string("version", CNI_VERSIONS[provider]);
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    cni.reject("version", `a release X.Y.Z without "v", e.g. "${CNI_VERSIONS[provider]}" for ${provider}`);
  }
  return { provider, version };
}

export function readReadinessGate(root: Section): ReadinessGateConfig {
  const gate = root.section("readinessGate", SECTION_KEYS.readinessGate);
  const enabled = gate.boolean("enabled", READINESS_GATE_DEFAULTS.enabled);
  const timeoutMinutes = gate.number("timeoutMinutes", READINESS_GATE_DEFAULTS.timeoutMinutes);
  const { min, max } = READINESS_TIMEOUT_MINUTES;
  if (timeoutMinutes < min || timeoutMinutes > max) gate.reject("timeoutMinutes", `${min}-${max} minutes`);
  return { enabled, timeoutMinutes };
}
