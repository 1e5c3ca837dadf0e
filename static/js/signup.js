// Sign-up's second step: "Resend code" waits out the cooldown on screen and comes back by
// itself. Without JavaScript the page says how many seconds to wait, and a press too early is
// answered with the seconds left (no CAPTCHA is spent on it).
document.querySelectorAll("[data-resend-wait]").forEach((wait) => {
  const button = wait.closest("form").querySelector("[data-resend-button]");
  const seconds = wait.querySelector("[data-seconds]");
  let left = Number(wait.dataset.resendWait);
  if (!button || !seconds || !(left > 0)) return;
  const label = button.textContent;
  const tick = () => {
    if (left <= 0) {
      wait.hidden = true;
      button.disabled = false;
      button.textContent = label;
      return;
    }
    seconds.textContent = String(left);
    button.disabled = true;
    button.textContent = `${label} (${left})`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
});
