// The device page without reloads: commands go through the portal API, the commands' states and
// the last location are fetched again every few seconds as the server renders them, and the map
// shows where the device was.
(function () {
  "use strict";
  var root = document.getElementById("device");
  if (!root || !window.fetch) return;
  var api = root.dataset.api;
  // The map's own words in the page's language, and its credits (devices/views.py).
  var words = JSON.parse(document.getElementById("map-words").textContent);
  var map = null, marker = null, circle = null;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showOnMap(lat, lon, accuracy) {
    if (!window.L || !root.dataset.tiles) return;
    var el = document.getElementById("map");
    if (!map) {
      el.hidden = false;
      map = L.map(el, { zoomControl: false, attributionControl: false }).setView([lat, lon], 15);
      L.control.zoom({ zoomInTitle: words.zoom_in, zoomOutTitle: words.zoom_out }).addTo(map);
      L.control.attribution({ prefix: words.prefix }).addTo(map);
      var tiles = L.tileLayer(root.dataset.tiles, { attribution: words.attribution, maxZoom: 19 });
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

  // The location as the server wrote it (templates/devices/_location.html) places the map.
  function placeMap() {
    var place = document.getElementById("location").dataset;
    if (place.lat) showOnMap(parseFloat(place.lat), parseFloat(place.lon), parseFloat(place.accuracy));
  }

  // The rows' states by command, to announce only what changed.
  function statesOf(rows) {
    var states = {};
    rows.querySelectorAll("tr[data-id]").forEach(function (row) { states[row.dataset.id] = row.dataset.state; });
    return states;
  }

  function announceChanges(before, rows) {
    var changed = [];
    rows.querySelectorAll("tr[data-id]").forEach(function (row) {
      if (before[row.dataset.id] !== undefined && before[row.dataset.id] !== row.dataset.state) {
        changed.push(row.querySelector(".kind").textContent + ": " + row.querySelector(".state-word").textContent);
      }
    });
    if (changed.length) document.getElementById("command-status").textContent = changed.join(", ");
  }

  // Puts the fresh part in place of the shown one when it differs; true if it did.
  function swap(fresh, id) {
    var shown = document.getElementById(id), next = fresh.getElementById(id);
    if (!shown || !next || shown.outerHTML === next.outerHTML) return false;
    shown.replaceWith(next);
    return true;
  }

  // What the server rendered of the page's changing parts (devices/views.py, device_status):
  // every word and time on them is the server's, as in the first render.
  function update(html) {
    var fresh = document.createElement("template");
    fresh.innerHTML = html;
    var status = fresh.content.firstElementChild;
    if (!status) return;
    if (status.dataset.erased && !root.dataset.erased) {
      window.location.reload();  // the page for an erased device offers other things
      return;
    }
    var before = statesOf(document.getElementById("command-rows"));
    if (swap(fresh.content, "command-rows")) announceChanges(before, document.getElementById("command-rows"));
    if (swap(fresh.content, "location")) placeMap();
  }

  var polling = null;

  function signedOut() {
    clearInterval(polling);  // no more polls into refusals
    document.getElementById("signed-out").hidden = false;
  }

  function refresh() {
    fetch(root.dataset.status, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { signedOut(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html) update(html);
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

  window.addEventListener("load", placeMap);
  polling = setInterval(refresh, 3000);
})();
