// The Items tab: tick every row of the page at once, and say how many rows are ticked.
// Listeners sit on the document, so they keep working as htmx swaps the table.
"use strict";

function ticks() {
  return Array.from(document.querySelectorAll("input[name=ids]"));
}

function showCount() {
  const note = document.querySelector("[data-selected-count]");
  if (!note) return;
  const n = ticks().filter((box) => box.checked).length;
  const all = document.querySelector("input[name=all_matching]");
  if (all && all.checked) note.textContent = "all matching";
  else note.textContent = n ? `${n} ticked` : "none ticked";
}

document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement)) return;
  if (target.matches("[data-select-page]")) {
    for (const box of ticks()) box.checked = target.checked;
  }
  if (target.matches("[data-select-page], input[name=ids], input[name=all_matching]")) showCount();
});

document.addEventListener("htmx:afterSwap", showCount);
document.addEventListener("DOMContentLoaded", showCount);
