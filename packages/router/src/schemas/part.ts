import { z } from "zod";
import { decodeCursor } from "./cursor.ts";

/**
 * Text must be well-formed UTF-16: a lone surrogate has no UTF-8 encoding, so SQLite would silently store
 * U+FFFD instead (the caller's acknowledged value would not be what is stored, and distinct part numbers
 * would collide).
 */
const wellFormed = (text: string) => !/\p{Cs}/u.test(text);
const wellFormedMessage = "must be well-formed Unicode (no lone surrogates)";
const text = () => z.string().trim().refine(wellFormed, wellFormedMessage);

const requiredText = (max: number) => text().min(1, "must not be empty").max(max);

export const PartId = z.int().positive();
export const PartNumber = requiredText(64);
export const ModelNumber = requiredText(64);
export const PartName = requiredText(200);
/** Blank descriptions are stored as null so "no description" has one representation. */
export const PartDescription = text()
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
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

// Strict objects: a misspelled field is reported instead of silently ignored.
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
});

export const PartIdInput = z.strictObject({ id: PartId });

export const ListPartsInput = z.strictObject({
  limit: z.int().min(1).max(100).default(20),
  /** Opaque `nextCursor` from the previous page. */
  cursor: z.string().max(64).transform(decodeCursor).optional(),
  /** Case-insensitive substring of part number, model number, name or description. */
  q: text().min(1).max(200).optional(),
  modelNumber: ModelNumber.optional(),
});

export const ListPartsOutput = z.object({
  items: z.array(Part),
  nextCursor: z.string().nullable(),
});

export type Part = z.infer<typeof Part>;
export type CreatePartInput = z.input<typeof CreatePartInput>;
export type UpdatePartInput = z.input<typeof UpdatePartInput>;
export type ListPartsInput = z.input<typeof ListPartsInput>;
export type ListPartsOutput = z.infer<typeof ListPartsOutput>;
