// The password checklist (templates/accounts/_password_rules.html): each rule with a check is
// marked met or not as the person types. The server judges on submit whatever this shows.
document.querySelectorAll("[data-password-rules]").forEach((list) => {
  const help = list.closest(".help");
  const input = help && document.querySelector(`[aria-describedby~="${help.id}"]`);
  if (!input) return;
  const rules = [...list.querySelectorAll("li[data-check]")].map((item) => {
    const [kind, value] = item.dataset.check.split(/:(.*)/s);
    const test =
      kind === "min"
        ? (text) => [...text].length >= Number(value)
        : (text) => new RegExp(value, "u").test(text);
    return { item, test };
  });
  const words = { met: list.dataset.metWords, unmet: list.dataset.unmetWords };
  const update = () => {
    rules.forEach(({ item, test }) => {
      const ok = test(input.value);
      item.classList.toggle("met", ok);
      item.querySelector(".mark").textContent = ok ? "✓" : "";
      item.querySelector("[data-state]").textContent = ok ? words.met : words.unmet;
    });
  };
  input.addEventListener("input", update);
  if (input.value) update();
});
