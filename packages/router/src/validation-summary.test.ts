import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CreatePartInput } from "./schemas/part.ts";
import { boundedFieldErrors, validationMessage } from "./validation-summary.ts";

const errorOf = (schema: z.ZodType, input: unknown) => schema.safeParse(input).error!;

describe("validation summaries", () => {
  it("says what is wrong in words: the first issues as `field: message`", () => {
    const error = errorOf(CreatePartInput, { partNumber: " ", modelNumber: "M", name: "N" });
    expect(validationMessage(error)).toBe("partNumber: must not be empty");
  });

  it("names how many issues were left out", () => {
    const error = errorOf(CreatePartInput, { partNumber: 1, modelNumber: 2, name: 3, description: 4 });
    expect(validationMessage(error)).toMatch(/^partNumber: .+; modelNumber: .+; name: .+ \(and 1 more\)$/);
  });

  it("stays small for 60,000 unknown keys", () => {
    const input = { partNumber: "P", modelNumber: "M", name: "N", ...Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i])) };
    const error = errorOf(CreatePartInput, input);
    const body = JSON.stringify({ message: validationMessage(error), zodError: boundedFieldErrors(error) });
    expect(body.length).toBeLessThan(1024);
    expect(validationMessage(error)).toMatch(/^input: Unrecognized keys: "k0", "k1"/);
  });

  it("keeps at most three messages per field, each at most 200 characters", () => {
    const schema = z.object({ a: z.string().check(...Array.from({ length: 6 }, (_, i) => z.refine(() => false, `${i} ${"x".repeat(500)}`))) });
    const { fieldErrors } = boundedFieldErrors(errorOf(schema, { a: "" }));
    expect(fieldErrors.a).toHaveLength(3);
    expect(fieldErrors.a!.every((m) => m.length <= 200)).toBe(true);
  });
});
