/* cigraph impact map page script (inlined verbatim by cigraph.viz.maps.render_html).
 *
 * Untrusted text (titles, names, document text) only ever reaches the page through
 * textContent or the canvas: tooltips are DOM elements, never HTML strings.
 * window.cigraphMap exposes the network and a few read-outs for tests and benchmarks.
 */
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var anchorTypes = new Set(data.anchorTypes);
  var state = {
    ready: false,
    timings: { scriptStart: started, parsed: performance.now() },
    visibleNodes: data.nodes.length,
    visibleEdges: data.edges.length
  };
  window.cigraphMap = state;

  /** Build a tooltip element from {heading, rows: [[name, value], ...]} with textContent. */
  function tooltipElement(tip) {
    var box = document.createElement("div");
    box.className = "cg-tip";
    var heading = document.createElement("div");
    heading.className = "cg-tip-heading";
    heading.textContent = tip.heading;
    box.appendChild(heading);
    if (tip.rows.length) {
      var list = document.createElement("dl");
      tip.rows.forEach(function (row) {
        var dt = document.createElement("dt");
        dt.textContent = row[0];
        var dd = document.createElement("dd");
        dd.textContent = row[1];
        list.appendChild(dt);
        list.appendChild(dd);
      });
      box.appendChild(list);
    }
    return box;
  }

  function withTitle(item) {
    return Object.assign({}, item, { title: tooltipElement(item.tooltip) });
  }

  var nodes = new vis.DataSet(data.nodes.map(withTitle));
  var edges = new vis.DataSet(data.edges.map(withTitle));
  state.timings.datasets = performance.now();
  var container = document.getElementById("map");
  var loading = document.getElementById("loading");
  var status = document.getElementById("status");
  var empty = document.getElementById("empty");
  var quarterSelect = document.getElementById("quarter-filter");
  var programmeSelect = document.getElementById("programme-filter");

  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  state.network = network;
  state.nodes = nodes;
  state.edges = edges;
  state.timings.networkCreated = performance.now();

  function finish() {
    if (state.ready) { return; }
    network.setOptions({ physics: false });
    loading.hidden = true;
    if (data.focus.length) { network.selectNodes(data.focus, true); }
    state.ready = true;
    state.timings.ready = performance.now();
    document.body.setAttribute("data-ready", "true");
  }

  network.on("stabilizationProgress", function (p) {
    loading.textContent = "Laying out the map… " + Math.round(100 * p.iterations / p.total) + "%";
  });
  network.once("stabilizationIterationsDone", finish);
  network.once("afterDrawing", function () { state.timings.firstDraw = performance.now(); });
  if (data.nodes.length === 0) {
    finish();
    empty.hidden = false;
  }

  function matches(item, quarter, programme) {
    return (quarter === "" || item.quarters.indexOf(quarter) >= 0) &&
      (programme === "" || item.programmes.indexOf(programme) >= 0);
  }

  /** Show the anchors (intentions) that match, the links that match and reach shown
   *  anchors, and every other node that a shown link reaches. */
  function applyFilters() {
    var quarter = quarterSelect.value;
    var programme = programmeSelect.value;
    var typeOf = new Map();
    var degree = new Map();
    var shown = new Set();
    data.nodes.forEach(function (n) {
      typeOf.set(n.id, n.type);
      if (anchorTypes.has(n.type) && matches(n, quarter, programme)) { shown.add(n.id); }
    });
    var edgeShown = new Map();
    var blocked = function (id) { return anchorTypes.has(typeOf.get(id)) && !shown.has(id); };
    data.edges.forEach(function (e) {
      degree.set(e.from, (degree.get(e.from) || 0) + 1);
      degree.set(e.to, (degree.get(e.to) || 0) + 1);
      if (e.always) { return; }
      var ok = matches(e, quarter, programme) && !blocked(e.from) && !blocked(e.to);
      edgeShown.set(e.id, ok);
      if (ok) { shown.add(e.from); shown.add(e.to); }
    });
    data.nodes.forEach(function (n) {  // unlinked nodes stand on their own
      if (!degree.get(n.id) && matches(n, quarter, programme)) { shown.add(n.id); }
    });
    data.edges.forEach(function (e) {  // e.g. successions: only between shown nodes
      if (e.always) { edgeShown.set(e.id, shown.has(e.from) && shown.has(e.to)); }
    });

    var nodeUpdates = [];
    nodes.forEach(function (n) {
      var hidden = !shown.has(n.id);
      if (Boolean(n.hidden) !== hidden) { nodeUpdates.push({ id: n.id, hidden: hidden }); }
    });
    var edgeUpdates = [];
    edges.forEach(function (e) {
      var hidden = !edgeShown.get(e.id);
      if (Boolean(e.hidden) !== hidden) { edgeUpdates.push({ id: e.id, hidden: hidden }); }
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);

    state.visibleNodes = shown.size;
    state.visibleEdges = data.edges.filter(function (e) { return edgeShown.get(e.id); }).length;
    status.textContent = "Showing " + state.visibleNodes + " of " + data.nodes.length +
      " nodes, " + state.visibleEdges + " links";
    empty.hidden = shown.size > 0;
    if (shown.size > 0) { network.fit({ nodes: Array.from(shown), animation: false }); }
  }
  state.applyFilters = applyFilters;

  quarterSelect.addEventListener("change", applyFilters);
  programmeSelect.addEventListener("change", applyFilters);
  document.getElementById("reset").addEventListener("click", function () {
    quarterSelect.value = "";
    programmeSelect.value = "";
    applyFilters();
  });
  document.getElementById("fit").addEventListener("click", function () {
    network.fit({ animation: false });
  });
  state.timings.scriptEnd = performance.now();
})();
