// "New picture" for the CAPTCHA: without JavaScript the button stays hidden and reloading the
// page gives a new picture.
document.querySelectorAll("[data-captcha-refresh]").forEach((button) => {
  const field = button.closest(".captcha");
  button.hidden = false;
  button.addEventListener("click", async () => {
    const response = await fetch(button.dataset.captchaRefresh, {
      headers: { "X-Requested-With": "XMLHttpRequest" },
    });
    if (!response.ok) return;
    const fresh = await response.json();
    field.querySelector("img.captcha").src = fresh.image_url;
    field.querySelector("input[name$='_0']").value = fresh.key;
    const answer = field.querySelector("input[name$='_1']");
    answer.value = "";
    answer.focus();
  });
});
