#!/usr/bin/env bash
# Proves the published package works outside the workspace: pack from a package with no build output (the
# prepack script must build it), check what the tarball holds, install it into a fresh project in a temp dir
# (no @parts/* packages there), then typecheck a correct call and a wrong one and run the bin.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$here"
rm -rf dist build
npx -y pnpm@10.34.9 pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
tarball="$(ls "$work"/*.tgz)"
echo "packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

contents="$(tar -tzf "$tarball")"
bin="$(tar -xzOf "$tarball" package/package.json | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s).bin.parts.replace(/^\.\//, "")))')"
for file in package.json README.md LICENSE dist/index.js dist/index.d.ts "$bin"; do
  grep -qx "package/$file" <<<"$contents" || { echo "FAIL: the tarball has no $file"; echo "$contents"; exit 1; }
done
if grep -q "^package/src/\|^package/bin/" <<<"$contents"; then echo "FAIL: the tarball ships workspace sources"; echo "$contents"; exit 1; fi
tar -xzOf "$tarball" package/package.json | grep -q '"private"' && { echo "FAIL: the packed manifest is private"; exit 1; }
echo "ok: the tarball holds README.md, LICENSE, dist/index.js, dist/index.d.ts and the bin ($bin)"

mkdir "$work/app" && cd "$work/app"
cat > package.json <<'JSON'
{ "name": "outside-app", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error "$tarball" typescript@5.9.3 @types/node@20 >/dev/null
test ! -e node_modules/@parts/router || { echo "FAIL: @parts/router got installed"; exit 1; }

cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2023", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
  "skipLibCheck": true, "noEmit": true, "types": ["node"] }, "include": ["*.ts"] }
JSON
cat > good.ts <<'TS'
import { createPartsClient, TRPCClientError, type RouterOutputs } from "@parts/client";
const parts = createPartsClient({ url: "http://127.0.0.1:3000/trpc", issuer: "http://127.0.0.1:4000", clientId: "c", clientSecret: "s" });
export async function main(): Promise<string> {
  const created = await parts.parts.create.mutate({ partNumber: "P-1", modelNumber: "M-1", name: "Bolt" });
  const page: RouterOutputs["parts"]["list"] = await parts.parts.list.query({ limit: 5 });
  const id: number = created.id;
  void TRPCClientError;
  return `${id} ${page.items.length} ${page.items[0]?.partNumber.toUpperCase()}`;
}
TS
npx tsc -p . && echo "ok: correct call typechecks"

cat > bad.ts <<'TS'
import { createPartsClient } from "@parts/client";
const parts = createPartsClient({ url: "u", issuer: "http://127.0.0.1:4000", clientId: "c", clientSecret: "s" });
export const a = parts.parts.byId.query({ id: "1" });
export const b = parts.parts.lst.query();
TS
if out="$(npx tsc -p . 2>&1)"; then echo "FAIL: wrong calls typechecked"; exit 1; fi
echo "$out" | grep -q "bad.ts(3" && echo "$out" | grep -q "bad.ts(4" || { echo "FAIL: unexpected errors:"; echo "$out"; exit 1; }
echo "ok: wrong input type and misspelled procedure are compile errors"
echo "$out" | sed 's/^/  /'

node --input-type=module -e 'import("@parts/client").then((m) => { if (typeof m.createPartsClient !== "function") process.exit(1); console.log("ok: runtime import works"); })'
npx parts --help | head -1 | grep -q "Usage: parts" && echo "ok: the parts bin runs from dist"
if out="$(PARTS_URL=http://127.0.0.1:3000 ISSUER=not-a-url CLIENT_ID=c CLIENT_SECRET=s npx parts list 2>&1)"; then echo "FAIL: a bad ISSUER was accepted"; exit 1; fi
grep -qx "parts list: invalid configuration: ISSUER: .*" <<<"$out" || { echo "FAIL: unexpected configuration error:"; echo "$out"; exit 1; }
echo "ok: a bad variable is named: $out"
