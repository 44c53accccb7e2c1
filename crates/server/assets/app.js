// Draws the ARR-over-time chart from the data the server put in data-series.
// (A file, not an inline script: the Content-Security-Policy allows only our own scripts.)
function drawArrChart() {
  const el = document.getElementById("arr-chart");
  if (!el || !window.echarts || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  const series = JSON.parse(el.dataset.series || "[]");
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 64, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis", valueFormatter: (v) => "$" + Math.round(v).toLocaleString() },
    xAxis: { type: "category", data: series.map((p) => p[0]), axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", axisLabel: { formatter: (v) => "$" + (v >= 1000 ? Math.round(v / 1000) + "k" : v) } },
    series: [{ type: "line", step: "end", areaStyle: { opacity: 0.12 }, data: series.map((p) => p[1]), color: "#4f46e5" }],
  });
  window.addEventListener("resize", () => chart.resize());
}
document.addEventListener("DOMContentLoaded", drawArrChart);
document.addEventListener("htmx:afterSettle", drawArrChart);
