import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it): never a browser Playwright downloads. */
export const chromiumPath = "/usr/bin/chromium";

/**
 * Root needs `--no-sandbox`; the rest keep a headless browser off the network it would otherwise keep trying
 * (updates, sync, QUIC probes). Playwright gives each launch a fresh temporary profile (`--user-data-dir`).
 */
const flags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run does this)`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: flags, timeout: 60_000 });
}
