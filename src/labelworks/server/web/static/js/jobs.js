// The Jobs page (templates/jobs.html): while a row's job is queued or running, its
// progress bar, figures and state follow /api/v1/jobs/{id} once a second; when it ends the
// page reloads once, to show its result or error as the server writes them.
(() => {
  "use strict";
  const rows = () => [...document.querySelectorAll("tr[data-job]")].filter(
    (row) => row.dataset.state === "queued" || row.dataset.state === "running",
  );
  if (rows().length === 0) return;

  function amount(n, unit) {
    if (unit !== "bytes") return n.toLocaleString("en");
    const sizes = [[2 ** 30, "GB"], [2 ** 20, "MB"], [2 ** 10, "kB"]];
    for (const [size, name] of sizes) if (n >= size) return `${(n / size).toFixed(1)} ${name}`;
    return `${n} B`;
  }

  function show(row, job) {
    const bar = row.querySelector("[data-testid=job-progress]");
    const text = row.querySelector("[data-testid=job-progress-text]");
    const pill = row.querySelector("[data-testid=job-state]");
    const unit = row.dataset.unit;
    if (job.total) {
      bar.max = job.total;
      bar.value = job.done;
      const pct = Math.round((100 * job.done) / job.total);
      text.textContent = `${amount(job.done, unit)} of ${amount(job.total, unit)} (${pct}%)`;
    } else if (job.done) {
      text.textContent = amount(job.done, unit);
    }
    pill.textContent = job.state;
    pill.className = `pill ${job.state === "running" ? "warn" : ""}`;
    row.dataset.state = job.state;
  }

  let ended = false;
  async function tick() {
    for (const row of rows()) {
      try {
        const response = await fetch(`/api/v1/jobs/${row.dataset.job}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) continue;
        const job = await response.json();
        show(row, job);
        if (job.state !== "queued" && job.state !== "running") ended = true;
      } catch (_error) {
        // The server restarting: try again on the next tick.
      }
    }
    if (ended) {
      window.location.reload();
      return;
    }
    if (rows().length > 0) window.setTimeout(tick, 1000);
  }
  window.setTimeout(tick, 1000);
})();
