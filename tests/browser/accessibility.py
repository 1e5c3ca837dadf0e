"""What the accessibility checks share: axe-core (vendored under tests/vendor/axe-core) run in a
page, and the 360 px layout check with its screenshots."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from tests.browser.pages import ARTIFACTS

AXE_SOURCE = (
    Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
).read_text()
SCREENSHOTS = ARTIFACTS / "screenshots"
BLOCKING = ("serious", "critical")
NARROW, WIDE = 360, 1280

# Every rule axe enables by default (WCAG 2.0-2.2 A and AA, and best practices), plus WCAG 2.2's
# target size, which it leaves off by default.
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    rules: { "target-size": { enabled: true } },
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""

# Horizontal overflow at the current width: the page scrolls sideways, or an element sticks out
# of the viewport (cut off) without sitting in a box that scrolls on purpose (a wide table in a
# .table-scroll region, Leaflet's map) or being off screen on purpose (the skip link, text for
# screen readers only).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow !== "visible") return true;
    }
    return false;
  };
  const cut = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".skip-link, .visually-hidden, [hidden]")) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if ((box.right > width + 1 || box.left < -1) && !scrolls(el)) {
      cut.push(el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
        " [" + Math.round(box.left) + ", " + Math.round(box.right) + "]");
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, cut: cut.slice(0, 10) };
}"""


@dataclass
class Findings:
    """What the pages of one run got wrong, gathered so one failure lists them all."""

    language: str
    problems: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def report(self) -> str:
        return f"{len(self.problems)} problem(s) in language {self.language!r}:\n" + "\n".join(
            self.problems
        )


def new_audit_context(browser, base_url: str, language: str) -> BrowserContext:
    """A browser context that asks for `language` (Accept-Language) and has axe-core in every
    page. Map tiles come from the internet, which the suite does not use: they fail at once."""
    context = browser.new_context(
        base_url=base_url,
        extra_http_headers={"Accept-Language": language},
        viewport={"width": WIDE, "height": 900},
    )
    context.set_default_timeout(15_000)
    context.add_init_script(script=AXE_SOURCE)
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), lambda route: route.abort())
    return context


def audit(page: Page, name: str, findings: Findings, *, screenshots: bool = True) -> None:
    """Run axe-core on the page as it is, then check it at 360 px (no sideways scroll, nothing
    cut off), with screenshots at 1280 and 360 px."""
    findings.pages.append(name)
    page.wait_for_load_state("load")
    for violation in page.evaluate(AXE_RUN):
        if violation["impact"] in BLOCKING:
            findings.problems.append(
                f"{name} ({page.url}): {violation['id']} [{violation['impact']}] "
                f"{violation['help']}: {json.dumps(violation['targets'][:5])}"
            )
    folder = SCREENSHOTS / findings.language
    if screenshots:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{WIDE}.png"), full_page=True)
    page.set_viewport_size({"width": NARROW, "height": 800})
    try:
        layout = page.evaluate(OVERFLOW)
        if layout["scrollWidth"] > NARROW or layout["cut"]:
            findings.problems.append(
                f"{name} ({page.url}) at {NARROW} px: scrollWidth {layout['scrollWidth']}, "
                f"cut off: {layout['cut']}"
            )
        if screenshots:
            page.screenshot(path=str(folder / f"{name}-{NARROW}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": WIDE, "height": 900})
