/** prom-client's default collectors, one module each (no types are published for them; see default-metrics.ts). */
declare module "prom-client/lib/metrics/*.js" {
  import type { Registry } from "prom-client";
  const collect: (registry: Registry, config: { prefix?: string; eventLoopMonitoringPrecision?: number }) => void;
  export default collect;
}
