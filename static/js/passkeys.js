// Passkeys: allauth's WebAuthn script (mfa/js/webauthn.js) reports a failed or cancelled
// ceremony as an "allauth.error" event; the page says so in words instead of the console.
(function () {
  document.addEventListener('allauth.error', function (event) {
    const message = document.getElementById('webauthn_error')
    if (message) {
      message.hidden = false
      message.focus()
      event.preventDefault()
    }
  })
})()
