// Renders every chart of the page: an element with data-chart="ID" gets the Vega-Lite
// specification in the JSON block #ID (built in Python, server/web/charts.py), compiled to
// Vega and run with the expression interpreter, so nothing is evaluated as code (the strict
// CSP forbids eval). Each chart's numbers are also in the table beside it.
import { expressionInterpreter } from "/static/vendor/vega-interpreter-2.3.2.js";

const dark = window.matchMedia("(prefers-color-scheme: dark)");

function themed(spec) {
  if (!dark.matches) return spec;
  const ink = "#d7dde3";
  const grid = "#3a434c";
  return {
    ...spec,
    config: {
      ...(spec.config || {}),
      background: null,
      axis: { labelColor: ink, titleColor: ink, gridColor: grid, domainColor: grid, tickColor: grid },
      legend: { labelColor: ink, titleColor: ink },
      title: { color: ink },
      view: { stroke: null },
    },
  };
}

async function render(box) {
  const source = document.getElementById(box.dataset.chart);
  if (!source) return;
  try {
    const lite = themed(JSON.parse(source.textContent));
    const compiled = globalThis.vegaLite.compile(lite).spec;
    const view = new globalThis.vega.View(globalThis.vega.parse(compiled, null, { ast: true }), {
      expr: expressionInterpreter,
      renderer: "svg",
      container: box,
      hover: true,
    });
    await view.runAsync();
    box.dataset.rendered = "true";
  } catch (error) {
    box.dataset.rendered = "failed";
    box.textContent = "This chart could not be drawn; its numbers are in the table below.";
    console.error("chart", box.dataset.chart, error);
  }
}

for (const box of document.querySelectorAll("[data-chart]")) {
  render(box);
}
