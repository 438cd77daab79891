/**
 * Entry point of the multi-language component package (`pulumi package add`). Pulumi's
 * Node.js plugin host loads package.json "main" (this file), turns every exported
 * ComponentResource class into a schema resource `k8s-ha-aws:index:<Class>` and analyzes
 * the constructors' Args from the TypeScript source. Export only analyzer-friendly wrappers
 * here: every exported component must pass the analyzer, or the whole package fails to load.
 * The TypeScript library entry point stays components/index.ts (package.json "exports").
 */
export type {
  AddonSettings,
  AddonsSettings,
  ApiSettings,
  ClusterArgs,
  CniSettings,
  EbsCsiDriverSettings,
  EtcdSettings,
  EtcdVolumeSettings,
  MasterSettings,
  MonitoringSettings,
  NetworkSettings,
  ReadinessGateSettings,
  TaintSettings,
  WorkerPoolSettings,
} from "./args";
export { Cluster } from "./cluster";
