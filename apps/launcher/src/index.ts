export { formatInstructions, type Connection } from "./instructions.ts";
