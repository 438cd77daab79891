/**
 * Program entry point: load and validate this stack's config, then build the cluster.
 * Config is read here and only here; components take typed args so other projects can reuse them.
 */
import { loadConfig } from "./config/load";
import { buildCluster } from "./program";

export = async (): Promise<Record<string, unknown>> => buildCluster(loadConfig());
