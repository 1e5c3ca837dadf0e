// Cloud sync switches that save without a reload: switching on saves at once; switching off
// first asks whether to keep or delete what is stored. Without JavaScript each switch's own
// form does the same through the server.
(function () {
  "use strict";
  var status = document.getElementById("sync-status");
  // "%(label)s: on. Saved." in the page's language (cloud/home.html).
  var words = document.getElementById("sync-words").dataset;
  if (!window.fetch) return;

  function save(form, enabled, wipe) {
    var category = form.dataset.category;
    var body = { categories: {}, delete: wipe ? [category] : [] };
    body.categories[category] = enabled;
    return fetch("/api/v1/cloud/sync-settings/", {
      method: "PATCH",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.elements.csrfmiddlewaretoken.value
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (data) {
      form.elements.enabled.checked = data.categories[category];
      status.textContent = (data.categories[category] ? words.on : words.off)
        .replace("%(label)s", form.querySelector("label").textContent);
    }).catch(function () {
      form.submit();  // let the server answer
    });
  }

  document.querySelectorAll(".switch-form").forEach(function (form) {
    var row = form.closest("li");
    var ask = row.querySelector(".turn-off");
    form.querySelector(".save").hidden = true;
    form.elements.enabled.addEventListener("change", function () {
      if (form.elements.enabled.checked) {
        ask.hidden = true;
        save(form, true, false);
      } else {
        ask.hidden = false;
        ask.querySelector("[data-choice=keep]").focus();
      }
    });
    ask.addEventListener("click", function (event) {
      var choice = event.target.dataset.choice;
      if (!choice) return;
      ask.hidden = true;
      if (choice === "cancel") {
        form.elements.enabled.checked = true;
        return;
      }
      save(form, false, choice === "delete").then(function () {
        if (choice === "delete") window.location.reload();
      });
    });
  });
})();
