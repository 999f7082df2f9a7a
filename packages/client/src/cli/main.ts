#!/usr/bin/env node
import { existsSync } from "node:fs";
import { runCli } from "./run.ts";

// Variables already set in the environment win over ./.env.
if (existsSync(".env")) process.loadEnvFile(".env");

process.exitCode = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
