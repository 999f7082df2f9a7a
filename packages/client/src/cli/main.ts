#!/usr/bin/env node
import { existsSync } from "node:fs";
import { runCli } from "./run.ts";

// A reader that stops early (`parts list | head`) closes the pipe: that ends the output, not in an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

// Variables already set in the environment win over ./.env.
if (existsSync(".env")) process.loadEnvFile(".env");

process.exitCode = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
