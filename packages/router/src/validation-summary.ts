import { z, type ZodError } from "zod";

/** Bounds on what one validation error may carry back, so a body with 60,000 bad keys gets a small answer. */
const shownIssues = 3;
const messagesPerField = 3;
const maxFields = 20;
const maxMessageLength = 200;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function issueLine(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "input";
  return `${where}: ${truncate(issue.message, maxMessageLength)}`;
}

/** A short human message: the first issues as `field: message`, and how many more there are. */
export function validationMessage(error: ZodError): string {
  const lines = error.issues.slice(0, shownIssues).map(issueLine);
  const more = error.issues.length - shownIssues;
  return more > 0 ? `${lines.join("; ")} (and ${more} more)` : lines.join("; ");
}

const bounded = (messages: readonly string[]) => messages.slice(0, messagesPerField).map((m) => truncate(m, maxMessageLength));

/** `z.flattenError` with at most a few messages per field, a few fields, and no message longer than a line. */
export function boundedFieldErrors(error: ZodError): { formErrors: string[]; fieldErrors: Record<string, string[]> } {
  const flat = z.flattenError(error);
  const fields = Object.entries(flat.fieldErrors as Record<string, string[] | undefined>).slice(0, maxFields);
  return {
    formErrors: bounded(flat.formErrors),
    fieldErrors: Object.fromEntries(fields.map(([field, messages]) => [field, bounded(messages ?? [])])),
  };
}
