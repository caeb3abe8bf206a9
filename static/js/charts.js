// Draws every <canvas data-chart='{…}'> with Chart.js (static/vendor/chartjs, loaded first).
// The server builds each config (tracker/services/charts.py) and the page holds it as data,
// so no inline script is needed under the CSP. Each canvas has an aria-label and a visually
// hidden table of the same figures beside it; a chart that cannot be drawn leaves those.
(() => {
  "use strict";
  if (typeof window.Chart === "undefined") {
    console.warn("Chart.js is not loaded; charts stay as tables.");
    return;
  }
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const draw = (canvas) => {
    if (window.Chart.getChart(canvas)) return; // drawn already (the script is on the page twice)
    let config;
    try {
      config = JSON.parse(canvas.dataset.chart);
    } catch (error) {
      console.warn("A chart's data-chart is not valid JSON; it stays as a table.", error);
      return;
    }
    const options = config.options || {};
    // The wrapper (.chart-box in app.css) sets the height; the chart fills it at any width.
    options.responsive = true;
    options.maintainAspectRatio = false;
    if (reduceMotion) {
      options.animation = false;
      options.transitions = { active: { animation: { duration: 0 } } };
    }
    config.options = options;
    new window.Chart(canvas, config);
  };

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
