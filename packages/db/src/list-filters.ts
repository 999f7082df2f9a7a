import type { ListPartsQuery } from "./parts-contract.ts";

/**
 * The exact-match filters of `list`, by column. Each column has an index on (column, id), so a filtered keyset
 * page (`column = ? and id > ? order by id limit ?`) reads only the rows it returns, on both engines.
 */
const exactFilterColumns = { modelNumber: "model_number", createdBy: "created_by", updatedBy: "updated_by" } as const;

export interface ExactFilters {
  /** The filtered columns joined, in a fixed order ("" for none): names one statement per combination. */
  key: string;
  columns: string[];
  /** The values, in the order of `columns`. */
  values: string[];
}

/** The exact filters `query` sets. */
export function exactFiltersOf(query: ListPartsQuery): ExactFilters {
  const columns: string[] = [];
  const values: string[] = [];
  for (const [field, column] of Object.entries(exactFilterColumns)) {
    const value = query[field as keyof typeof exactFilterColumns];
    if (value === undefined) continue;
    columns.push(column);
    values.push(value);
  }
  return { key: columns.join(","), columns, values };
}

/** `p."model_number" = ? and p."created_by" = ?` (the placeholder and an optional table alias are the engine's). */
export function equalities(columns: readonly string[], placeholder: (index: number) => string, alias = ""): string {
  return columns.map((column, index) => `${alias}"${column}" = ${placeholder(index)}`).join(" and ");
}

/** One value per key, made on first use: prepared statements per filter combination (at most 2^3 of them). */
export function memo<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
}
