// The API reference (/api/v1/docs): Swagger UI, vendored, over our OpenAPI document.
// The spec's URL comes from the page (data-spec-url): the CSP allows no inline script.
(() => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // no badge fetched from another site
    tryItOutEnabled: false,
    persistAuthorization: false, // a pasted token is never written to localStorage
  });
})();
