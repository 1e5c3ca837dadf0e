// After a form comes back with errors, the first field in error takes focus: a screen reader
// then reads its label, "invalid" and the error tied to it (aria-describedby), and a keyboard
// user is where the fix goes. Pages that open on a field of their own (autofocus) keep it when
// nothing is wrong.
(function () {
  "use strict";
  var invalid = document.querySelector("main [aria-invalid=true]:not([type=hidden])");
  if (invalid) invalid.focus();
})();

// "Copy" next to a value to type elsewhere (the authenticator key): shown only where the
// browser can copy; the value's spaces are left out, as apps take the key without them.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value.replace(/\s+/g, "")).then(function () {
        button.textContent = button.dataset.copied;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
