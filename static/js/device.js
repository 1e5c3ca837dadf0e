// The device page without reloads: commands go through the portal API, their states and the
// last location are refreshed every few seconds, and the map shows where the device was.
(function () {
  "use strict";
  var root = document.getElementById("device");
  if (!root || !window.fetch) return;
  var api = root.dataset.api;
  // Command kinds and states as the page names them (devices/detail.html, in its language).
  var labels = JSON.parse(document.getElementById("command-labels").textContent);
  var map = null, marker = null, circle = null;
  var shownStates = null;  // command id -> state last drawn, to announce only what changed

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showOnMap(lat, lon, accuracy) {
    if (!window.L || !root.dataset.tiles) return;
    var el = document.getElementById("map");
    if (!map) {
      el.hidden = false;
      var words = labels.map || {};
      map = L.map(el, { zoomControl: false }).setView([lat, lon], 15);
      L.control.zoom({ zoomInTitle: words.zoom_in, zoomOutTitle: words.zoom_out }).addTo(map);
      var tiles = L.tileLayer(root.dataset.tiles, { attribution: root.dataset.attribution, maxZoom: 19 });
      // Offline or blocked, the tiles fail: the page says so (the place is written out below).
      tiles.once("tileerror", function () {
        document.getElementById("map-failed").hidden = false;
      });
      tiles.addTo(map);
      marker = L.marker([lat, lon], { alt: words.marker, title: words.marker }).addTo(map);
      circle = L.circle([lat, lon], { radius: accuracy }).addTo(map);
    } else {
      marker.setLatLng([lat, lon]);
      circle.setLatLng([lat, lon]).setRadius(accuracy);
      map.panTo([lat, lon]);
    }
  }

  function kindLabel(c) {
    return labels.kinds[c.kind] || c.kind;
  }

  function announceChanges(commands) {
    var states = {};
    var changed = [];
    commands.forEach(function (c) {
      states[c.id] = c.state;
      if (shownStates && shownStates[c.id] !== c.state) changed.push(kindLabel(c) + ": " + (labels.states[c.state] || c.state));
    });
    var first = shownStates === null;
    shownStates = states;
    if (!first && changed.length) {
      document.getElementById("command-status").textContent = changed.join(", ");
    }
    return first || changed.length > 0;
  }

  function renderCommands(commands) {
    var body = document.querySelector("#commands tbody");
    if (!commands.length) return;
    if (!announceChanges(commands) && body.rows.length === commands.length) return;
    body.innerHTML = "";
    commands.forEach(function (c) {
      var row = document.createElement("tr");
      row.dataset.id = c.id;
      var kind = document.createElement("td");
      kind.textContent = kindLabel(c);
      var state = document.createElement("td");
      state.className = "state";
      state.dataset.testid = "state-" + c.kind;
      state.setAttribute("data-testid", "state-" + c.kind);
      state.textContent = labels.states[c.state] || c.state;
      var sent = document.createElement("td");
      sent.textContent = new Date(c.created_at).toLocaleString(document.documentElement.lang || "en", {
        day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
      });
      row.append(kind, state, sent);
      body.append(row);
    });
  }

  function renderLocation(loc) {
    if (!loc) return;
    var coords = document.querySelector("[data-testid=coordinates]");
    if (coords) coords.textContent = loc.lat.toFixed(5) + ", " + loc.lon.toFixed(5);
    var open = document.getElementById("open-in-maps");
    if (open) open.href = open.dataset.template.replace(/LAT/g, loc.lat.toFixed(5)).replace(/LON/g, loc.lon.toFixed(5));
    showOnMap(loc.lat, loc.lon, loc.accuracy);
  }

  var polling = null;

  function signedOut() {
    clearInterval(polling);  // no more polls into refusals
    document.getElementById("signed-out").hidden = false;
  }

  function refresh() {
    fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { signedOut(); return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (device) {
        if (!device) return;
        if (device.erased && !root.dataset.erased) {
          window.location.reload();  // the page for an erased device offers other things
          return;
        }
        renderCommands(device.commands || []);
        renderLocation(device.last_location);
      })
      .catch(function () {});
  }

  document.querySelectorAll("form[data-command]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = { kind: form.dataset.command };
      if (form.elements.message) data.message = form.elements.message.value;
      if (form.elements.phone) data.phone = form.elements.phone.value;
      var key = form.elements.idempotency_key;
      fetch(api + "commands/", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": csrfToken(),
          "Idempotency-Key": key && key.value ? key.value : String(Date.now()) + Math.random()
        },
        body: JSON.stringify(data)
      }).then(function (r) {
        if (key && window.crypto && crypto.randomUUID) key.value = crypto.randomUUID();
        refresh();
        if (!r.ok) form.submit();  // let the server-rendered answer explain it
      });
    });
  });

  var el = document.getElementById("map");
  if (el && el.dataset.lat) {
    window.addEventListener("load", function () {
      showOnMap(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon), parseFloat(el.dataset.accuracy));
    });
  }
  polling = setInterval(refresh, 3000);
})();
