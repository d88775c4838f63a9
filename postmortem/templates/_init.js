(function () {
  "use strict";
  var nodes = document.querySelectorAll("script[type='application/json'][data-chart]");
  nodes.forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-chart"));
    var spec = JSON.parse(node.textContent);
    window.vegaEmbed(target, spec, { actions: false, renderer: "svg" })
      .then(function () { target.setAttribute("data-rendered", "true"); })
      .catch(function (err) { target.setAttribute("data-error", String(err)); console.error(err); });
  });
})();
