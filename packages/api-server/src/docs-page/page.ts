import { openApiPath } from "../rest/openapi-route.ts";

/**
 * Starts Swagger UI on the served document. It is a file of its own because the page's CSP allows no inline
 * script. `validatorUrl: null` keeps Swagger UI from sending the document to validator.swagger.io;
 * `queryConfigEnabled` stays off (its default) so a link cannot point the page at another document.
 */
export const initializerJs = `"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openApiPath)},
    dom_id: "#swagger-ui",
    validatorUrl: null,
    queryConfigEnabled: false,
    deepLinking: false,
    displayRequestDuration: true,
  });
});
`;

export interface PageUrls {
  script: string;
  stylesheets: readonly string[];
  icons: readonly { href: string; sizes: string }[];
  initializer: string;
}

/** The page itself: links to the served files only; no inline script or style (the CSP would refuse them). */
export function docsPageHtml(urls: PageUrls): string {
  const styles = urls.stylesheets.map((href) => `    <link rel="stylesheet" href="${href}">`);
  const icons = urls.icons.map(({ href, sizes }) => `    <link rel="icon" type="image/png" href="${href}" sizes="${sizes}">`);
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "  <head>",
    '    <meta charset="utf-8">',
    '    <meta name="viewport" content="width=device-width, initial-scale=1">',
    "    <title>parts-rpc API</title>",
    ...styles,
    ...icons,
    "  </head>",
    "  <body>",
    '    <div id="swagger-ui"></div>',
    `    <script src="${urls.script}"></script>`,
    `    <script src="${urls.initializer}"></script>`,
    "  </body>",
    "</html>",
    "",
  ].join("\n");
}
