import { z } from "zod";
import { requestLimits } from "../limits/request-limits.ts";
import { decodeCursor } from "./cursor.ts";
import { characterCount, identifierLookupText, identifierText, lineText, multilineText } from "./text.ts";

const notEmpty = "must not be empty";
const identifier = () => identifierText().min(1, notEmpty).max(64);
const clientIdFilter = () => lineText().min(1, notEmpty).max(requestLimits.maxClientIdLength).optional();

export const PartId = z.int().positive();
export const PartNumber = identifier();
export const ModelNumber = identifier();
export const PartName = lineText().min(1, notEmpty).max(200);
/** Blank descriptions are stored as null so "no description" has one representation. */
/** Starts at 1; every update adds 1. */
export const PartVersion = z.int().positive();
/** Write only if the part is still at this version (optimistic concurrency); else CONFLICT, naming the current one. */
const ExpectedVersion = PartVersion.optional();

export const PartDescription = multilineText()
  .max(10_000)
  .transform((text) => (text === "" ? null : text))
  .nullable();

/** A part as the API returns it; timestamps are ISO 8601 strings set by the database. */
export const Part = z.object({
  id: PartId,
  partNumber: z.string(),
  modelNumber: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: PartVersion,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /**
   * The client id (from the caller's verified token, never from input) that created the part, and the one whose
   * update was last; null for parts written before the audit trail existed.
   */
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
});

// Strict objects: a misspelled field is reported instead of silently ignored, and so is `createdBy` / `updatedBy`,
// which only the caller's token sets.
export const CreatePartInput = z.strictObject({
  partNumber: PartNumber,
  modelNumber: ModelNumber,
  name: PartName,
  description: PartDescription.optional(),
});

export const UpdatePartInput = z.strictObject({
  id: PartId,
  partNumber: PartNumber.optional(),
  modelNumber: ModelNumber.optional(),
  name: PartName.optional(),
  /** null clears the description. */
  description: PartDescription.optional(),
  expectedVersion: ExpectedVersion,
});

export const PartIdInput = z.strictObject({ id: PartId });

export const DeletePartInput = z.strictObject({ id: PartId, expectedVersion: ExpectedVersion });

export const ListPartsInput = z.strictObject({
  limit: z.int().min(1).max(requestLimits.maxPageSize).default(20),
  /** Opaque `nextCursor` from the previous page. */
  cursor: z.string().max(64).transform(decodeCursor).optional(),
  /** Case-insensitive substring of part number, model number, name or description. */
  q: lineText()
    .max(requestLimits.maxSearchLength)
    .refine((q) => characterCount(q) >= requestLimits.minSearchLength, `must be at least ${requestLimits.minSearchLength} characters`)
    .optional(),
  /** Exact model number (after NFKC and trimming); any script, so rows stored before the ASCII rule stay reachable. */
  modelNumber: identifierLookupText().min(1, notEmpty).max(64).optional(),
  /** Exact client id that created the part / last updated it (after trimming; case-sensitive). */
  createdBy: clientIdFilter(),
  updatedBy: clientIdFilter(),
});

export const ListPartsOutput = z.object({
  items: z.array(Part),
  nextCursor: z.string().nullable(),
});

export type Part = z.infer<typeof Part>;
export type CreatePartInput = z.input<typeof CreatePartInput>;
export type UpdatePartInput = z.input<typeof UpdatePartInput>;
export type DeletePartInput = z.input<typeof DeletePartInput>;
export type ListPartsInput = z.input<typeof ListPartsInput>;
export type ListPartsOutput = z.infer<typeof ListPartsOutput>;
