// Starts Swagger UI on the API docs page. A file, not inline script, so the
// Content-Security-Policy can forbid inline script everywhere.
"use strict";

window.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-schema-url"),
    domNode: target,
    deepLinking: true,
    // The default validator badge calls an outside service; Pilothouse calls none.
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: true,
  });
});
