import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** The only path the listener answers. */
export const metricsPath = "/metrics";

export interface MetricsListener {
  /** `http://host:port`, the scrape target without the path. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on `port` (0: a free one) of `host`; resolves with `http://host:port` as bound (IPv6 in brackets). */
export async function listenAt(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}`;
}

/**
 * Serves `GET /metrics` in the Prometheus text format on a listener of its own, never on the public port: an
 * operator binds it to loopback or a private network and scrapes it there, and the public API never reveals
 * its traffic. Everything else answers 404; HEAD is answered like GET, without a body.
 */
export async function startMetricsListener(registry: Registry, port: number, host: string): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== metricsPath || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n"),
    );
  });
  // A scraper keeps its connection open between scrapes; nothing here is slow, so short timeouts are fine.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return {
    url: await listenAt(server, port, host),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
