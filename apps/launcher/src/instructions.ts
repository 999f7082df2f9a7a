export interface Connection {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  partsUrl: string;
}

/** Single-quoted for POSIX shells: safe for any value. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const startFooter = "Ctrl-C stops both services; parts, clients and keys are kept in data/.";

/** The variables a caller needs and a curl session that uses them, ready to paste into a shell. */
export function formatInstructions(connection: Connection, footer = startFooter): string {
  const listInput = encodeURIComponent(JSON.stringify({ limit: 10 }));
  return [
    "parts-rpc is running. Paste into a shell:",
    "",
    `export ISSUER=${shellQuote(connection.issuer)}`,
    `export CLIENT_ID=${shellQuote(connection.clientId)}`,
    `export CLIENT_SECRET=${shellQuote(connection.clientSecret)}`,
    `export SCOPE=${shellQuote(connection.scope)}`,
    `export PARTS_URL=${shellQuote(connection.partsUrl)}`,
    "",
    "# 1. a token (client credentials, HTTP Basic)",
    `TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials --data-urlencode "scope=$SCOPE" "$ISSUER/token" | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    "# 2. a query: GET /trpc/<procedure>?input=<url-encoded JSON>",
    `curl -s -H "Authorization: Bearer $TOKEN" "$PARTS_URL/trpc/parts.list?input=${listInput}"`,
    "# 3. a mutation: POST /trpc/<procedure> with a JSON body",
    `curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"partNumber":"PN-1001","modelNumber":"M-1","name":"Hex bolt"}' "$PARTS_URL/trpc/parts.create"`,
    "",
    footer,
  ].join("\n");
}
