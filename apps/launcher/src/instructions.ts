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
    "# 2. create a part: POST /api/parts (201, Location: /api/parts/{id})",
    `curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"partNumber":"PN-1001","modelNumber":"M-1","name":"Hex bolt"}' "$PARTS_URL/api/parts"`,
    "# 3. list them: GET /api/parts (GET/PATCH/DELETE /api/parts/{id} for one part)",
    `curl -s -H "Authorization: Bearer $TOKEN" "$PARTS_URL/api/parts?modelNumber=M-1&limit=10"`,
    "",
    `In a browser: ${connection.partsUrl}/docs (Swagger UI; "Authorize" takes CLIENT_ID and CLIENT_SECRET), the document at ${connection.partsUrl}/openapi.json.`,
    "",
    footer,
  ].join("\n");
}
