// The Simulator page: a run takes seconds, so once the form is sent its button is disabled
// (no second run queued behind the first) and a line says it is working.
const form = document.querySelector("[data-testid=sim-form]");
if (form) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("[data-testid=sim-run]");
    const running = form.querySelector("[data-testid=sim-running]");
    // Disabled after this event, so the browser still sends the form.
    window.setTimeout(() => { button.disabled = true; }, 0);
    running.hidden = false;
  });
}
