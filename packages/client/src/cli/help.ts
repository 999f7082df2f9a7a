export const mainHelp = `Usage: parts <command> [options]

Commands:
  list      List parts (paged; --all follows every page)
  get       Show one part
  create    Create a part
  update    Change fields of a part
  delete    Delete a part
  token     Show the access token's claims and expiry

Configuration (environment or ./.env):
  PARTS_URL      API base URL, e.g. http://127.0.0.1:3000 (/trpc is appended unless present)
  ISSUER         OAuth 2.0 issuer URL
  CLIENT_ID      client id
  CLIENT_SECRET  client secret (never printed)
  SCOPE          scopes to request, e.g. "parts:read parts:write" (optional)

Output is JSON (pretty on a terminal, one line when piped).
Exit codes: 0 ok, 1 usage or configuration error, 2 authentication/authorization failure,
3 API error (not found, conflict, validation, API unreachable).

Run "parts <command> --help" for a command's options.
`;

export const commandHelp: Record<string, string> = {
  list: `Usage: parts list [--limit N] [--cursor C] [--q TEXT] [--model-number M] [--all]

  --limit N           page size, 1-100 (default 20)
  --cursor C          nextCursor from a previous page
  --q TEXT            case-insensitive search in part number, model number, name, description
  --model-number M    only parts of this model number
  --all               follow nextCursor and print every matching part as one array
`,
  get: `Usage: parts get <id>

Prints the part with this id.
`,
  create: `Usage: parts create --part-number P --model-number M --name N [--description D]
       parts create '<JSON document>'

The JSON form takes {"partNumber", "modelNumber", "name", "description"?}.
Prints the created part.
`,
  update: `Usage: parts update <id> [--part-number P] [--model-number M] [--name N] [--description D | --clear-description]

Changes only the given fields; prints the updated part.
`,
  delete: `Usage: parts delete <id>

Deletes the part; prints {"id": <id>}.
`,
  token: `Usage: parts token [--raw]

Fetches an access token with the configured client credentials and prints its header, claims, scope
and expiry. The client secret is never printed; the raw token only with --raw.
`,
};
