// The system map's behaviour on top of pyvis's drawing: readable labels and tooltips, the three
// circles behind the services, and a click that opens a service's page.
(function () {
  "use strict";
  var holder = document.getElementById("map-data");
  if (!holder || typeof network === "undefined") return;
  var data = JSON.parse(holder.textContent);

  // Every string reached pyvis HTML-escaped. Labels are drawn on a canvas as text, so decode
  // them; titles are escaped HTML of ours, parsed inertly (DOMParser runs no scripts) into
  // elements, because vis shows a string title as literal text.
  var parser = new DOMParser();
  function parse(escaped) { return parser.parseFromString(escaped, "text/html").body; }
  function asText(escaped) { return parse(escaped).textContent; }
  function asElement(escaped) {
    var div = document.createElement("div");
    div.append.apply(div, Array.from(parse(escaped).childNodes));
    return div;
  }
  nodes.update(nodes.get().map(function (n) {
    return { id: n.id, label: asText(n.label || ""), title: asElement(n.title || "") };
  }));
  edges.update(edges.get().map(function (e) {
    return { id: e.id, title: asElement(e.title || "") };
  }));

  // The rings of Figure 1, outermost first so the inner ones paint over it.
  var rings = data.rings.slice().sort(function (a, b) { return b.radius - a.radius; });
  network.on("beforeDrawing", function (ctx) {
    rings.forEach(function (ring) {
      ctx.beginPath();
      ctx.arc(0, 0, ring.radius + 110, 0, 2 * Math.PI);
      ctx.fillStyle = ring.band;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#b1b4b6";
      ctx.stroke();
    });
    ctx.font = "bold 34px system-ui, sans-serif";
    ctx.fillStyle = "#484949";
    ctx.textAlign = "center";
    rings.forEach(function (ring) { ctx.fillText(ring.label, 0, -(ring.radius + 70)); });
  });
  network.redraw();
  network.fit();

  network.on("click", function (params) {
    if (params.nodes.length === 1 && data.urls[params.nodes[0]]) {
      window.location.href = data.urls[params.nodes[0]];
    }
  });
  network.on("hoverNode", function () { network.canvas.body.container.style.cursor = "pointer"; });
  network.on("blurNode", function () { network.canvas.body.container.style.cursor = ""; });
})();
