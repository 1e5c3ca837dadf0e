// "New picture" for the CAPTCHA. Without JavaScript the button submits a small form that loads
// the page again with a new CAPTCHA; with it, a new picture (and its audio) comes in place, the
// typed phone number or email stays, and focus moves to the answer field.
document.querySelectorAll("[data-captcha-refresh]").forEach((button) => {
  const field = button.closest(".captcha");
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const response = await fetch(button.dataset.captchaRefresh, {
      headers: { "X-Requested-With": "XMLHttpRequest" },
    });
    if (!response.ok) {
      button.form.submit();
      return;
    }
    const fresh = await response.json();
    field.querySelector("img.captcha").src = fresh.image_url;
    field.querySelector("input[name$='_0']").value = fresh.key;
    const audio = field.querySelector("[data-captcha-audio]");
    if (audio && fresh.audio_url) {
      audio.src = fresh.audio_url;
      audio.querySelector("a").href = fresh.audio_url;
    }
    const answer = field.querySelector("input[name$='_1']");
    answer.value = "";
    answer.focus();
  });
});
