import type { AuditEvent } from "@parts/router";
import type { Logger } from "./logger.ts";

/**
 * The audit trail in the server's log: one info line per successful write, message "part written", with the
 * acting client's id (from its verified token), the procedure, the part's id and the version the write left (a
 * delete: the version removed). Only these four fields are logged, never the request, its token or a secret.
 * REST writes call the same procedures, so they are logged the same way.
 */
export function auditLog(logger: Logger): (event: AuditEvent) => void {
  return ({ clientId, procedure, partId, version }) => logger.info({ clientId, procedure, partId, version }, "part written");
}
