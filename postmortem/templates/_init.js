(function () {
  "use strict";
  // Each chart comes drawn for two widths; a phone gets the narrow one, redrawn for it rather than shrunk.
  var nodes = document.querySelectorAll("script[type='application/json'][data-chart]");
  nodes.forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-chart"));
    var specs = JSON.parse(node.textContent);
    var spec = target.getBoundingClientRect().width < 640 ? specs.narrow : specs.wide;
    window.vegaEmbed(target, spec, { actions: false, renderer: "svg" })
      .then(function () { target.setAttribute("data-rendered", "true"); })
      .catch(function (err) { target.setAttribute("data-error", String(err)); console.error(err); });
  });
})();
