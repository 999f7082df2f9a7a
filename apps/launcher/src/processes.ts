import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";

export interface Service {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  /** The last line the service wrote to stderr: a service that stops on a bad setting says why there. */
  lastErrorLine(): string | undefined;
}

/** Runs a TypeScript entry point with tsx (resolved from the service's own folder), logging to a file. */
export function startService(name: string, cwd: string, entry: string, env: NodeJS.ProcessEnv, logFile: string): Service {
  const log = createWriteStream(logFile, { flags: "a", mode: 0o600 });
  const child = spawn(process.execPath, ["--import", "tsx", entry], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let stderrTail = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lastErrorLine = () => stderrTail.split("\n").map((line) => line.trim()).filter(Boolean).at(-1);
  return { name, child, logFile, exited, lastErrorLine };
}

/** Polls `url` until it answers 200; rejects if the service exits first or `timeoutMs` passes. */
export async function waitUntilReady(service: Service, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) {
      const why = service.lastErrorLine();
      throw new Error(`${service.name} exited during start-up${why ? ` (${why})` : ""}; see ${service.logFile}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name} not ready at ${url} after ${timeoutMs / 1000}s; see ${service.logFile}`);
}

/** Runs a one-off step (a migration) to its end; rejects, naming its last error line, unless it exits with 0. */
export async function runStep(service: Service): Promise<void> {
  const code = await service.exited;
  if (code === 0) return;
  const why = service.lastErrorLine();
  throw new Error(`${service.name} failed (exit code ${code})${why ? `: ${why}` : ""}; see ${service.logFile}`);
}

/** SIGTERM to every service still running, then waits for all of them; true if all exited with 0. */
export async function stopAll(services: Service[]): Promise<boolean> {
  for (const { child } of services) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const codes = await Promise.all(services.map((service) => service.exited));
  return codes.every((code) => code === 0 || code === null);
}
