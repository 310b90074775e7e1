// Starts Swagger UI on a docs page of mcp-gateway. The document's URL comes from the page's
// data-spec attribute: the Content-Security-Policy allows no inline script.
'use strict';
(function () {
  var root = document.getElementById('docs');
  window.SwaggerUIBundle({
    url: root.getAttribute('data-spec'),
    domNode: root,
    deepLinking: true,
    // Never ask validator.swagger.io about our documents: nothing leaves the gateway.
    validatorUrl: null,
  });
})();
