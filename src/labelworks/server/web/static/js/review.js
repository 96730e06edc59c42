// The Review page's keys, on the review card in focus: A accepts it, R goes to its reason
// list (reject), F to its fix controls, J and K move to the next and previous card, Esc
// steps out of a form back to its card. The page works without this file.
const cards = Array.from(document.querySelectorAll("[data-testid=review]"));

function cardOf(element) {
  return element instanceof Element ? element.closest("[data-testid=review]") : null;
}

function typing(element) {
  return element instanceof HTMLElement
    && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

function show(card) {
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: "nearest" });
}

function move(card, step) {
  const next = cards[(card ? cards.indexOf(card) : -1) + step];
  if (next) show(next);
}

function fix(card) {
  const edit = card.querySelector("details[data-key=f]");
  if (edit) {
    edit.open = true;
    const first = edit.querySelector("input:checked, input, textarea");
    if (first) first.focus();
    return;
  }
  const label = card.querySelector("button[data-key=f]:not(:disabled)");
  if (label) label.focus();
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const card = cardOf(target) || cardOf(document.activeElement);
  if (typing(target)) {
    if (event.key === "Escape" && card) {
      event.preventDefault();
      show(card);
    }
    return;
  }
  const key = event.key.toLowerCase();
  if (key === "j" || key === "k") {
    event.preventDefault();
    move(card, key === "j" ? 1 : -1);
    return;
  }
  if (!card) return;
  if (key === "a") {
    const accept = card.querySelector("button[data-key=a]");
    if (accept) {
      event.preventDefault();
      accept.click();
    }
  } else if (key === "r") {
    const reason = card.querySelector("select[data-key=r]");
    if (reason) {
      event.preventDefault();
      reason.focus();
    }
  } else if (key === "f") {
    event.preventDefault();
    fix(card);
  } else if (key === "escape") {
    show(card);
  }
});

// The card whose decision was refused, else the first, starts in focus for the keys.
const start = cards.find((card) => card.hasAttribute("data-refused")) || cards[0];
if (start && (document.activeElement === document.body || !document.activeElement)) {
  start.focus({ preventScroll: !start.hasAttribute("data-refused") });
}
