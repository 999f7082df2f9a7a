#!/usr/bin/env node
// Workspace entry point: runs the TypeScript source through tsx. The published package points its bin at dist/cli.js.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
