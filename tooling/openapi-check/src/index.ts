export { createResponseChecker, type ObservedResponse, type ResponseChecker } from "./response-checker.ts";
export { lintDocument, validateDocument } from "./validate-document.ts";
