// After a form comes back with errors, the first field in error takes focus: a screen reader
// then reads its label, "invalid" and the error tied to it (aria-describedby), and a keyboard
// user is where the fix goes. Pages that open on a field of their own (autofocus) keep it when
// nothing is wrong.
(function () {
  "use strict";
  var invalid = document.querySelector("main [aria-invalid=true]:not([type=hidden])");
  if (invalid) invalid.focus();
})();
