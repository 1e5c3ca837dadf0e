// The browser's time zone, for the portal to write times in (accounts/time_zones.py).
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone) return;

  // Every form that may create an account sends it along: a hidden input named time_zone.
  document.querySelectorAll('input[type=hidden][name=time_zone]').forEach(function (input) {
    input.value = zone;
  });

  // The account page offers this device's zone when the account keeps another one. Browsers
  // name some zones by an older alias (Chromium: "Asia/Calcutta" for "Asia/Kolkata"): two
  // names are the same zone when Intl resolves them to the same one.
  var button = document.querySelector("button[data-device-time-zone]");
  if (!button) return;
  var select = button.form && button.form.elements.namedItem("time_zone");
  if (!select || !select.options) return;

  function resolved(name) {
    try {
      return Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    } catch (error) {
      return "";
    }
  }

  var here = resolved(zone);
  var saved = select.querySelector("option[selected]");
  if (!here || (saved && resolved(saved.value) === here)) return;
  var option = Array.prototype.find.call(select.options, function (candidate) {
    return candidate.value === zone;
  }) || Array.prototype.find.call(select.options, function (candidate) {
    return resolved(candidate.value) === here;
  });
  if (!option) return;

  button.textContent = button.dataset.deviceTimeZone.replace("%(zone)s", option.value);
  button.hidden = false;
  button.addEventListener("click", function () {
    select.value = option.value;
    button.form.requestSubmit();
  });
})();
