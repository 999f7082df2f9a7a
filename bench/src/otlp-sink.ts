/**
 * An OTLP/HTTP endpoint that accepts and drops every export, so a "tracing configured" server has a live
 * collector to send to (an unsampled one should send nothing: the count says whether it did).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export async function startOtlpSink(): Promise<{ port: number; received(): number; close(): Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    received++;
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
