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

// Weekly active users (bars) and events (line) on the account page.
function drawUsageChart() {
  const el = document.getElementById("usage-chart");
  if (!el || !window.echarts || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  const weeks = JSON.parse(el.dataset.series || "[]");
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 48, right: 56, top: 32, bottom: 32 },
    legend: { data: ["Active users", "Events"], top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: weeks.map((w) => w[0]), axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: "value", name: "people", minInterval: 1 },
      { type: "value", name: "events", splitLine: { show: false } },
    ],
    series: [
      { name: "Active users", type: "bar", data: weeks.map((w) => w[1]), color: "#4f46e5" },
      { name: "Events", type: "line", yAxisIndex: 1, smooth: true, data: weeks.map((w) => w[2]), color: "#f59e0b" },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
}
document.addEventListener("DOMContentLoaded", drawUsageChart);
document.addEventListener("htmx:afterSettle", drawUsageChart);

// The health score per day on the account page, with the red and green bands' floors.
function drawHealthChart() {
  const el = document.getElementById("health-chart");
  if (!el || !window.echarts || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  const days = JSON.parse(el.dataset.series || "[]");
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 40, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: days.map((d) => d[0]), axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [{ name: "Health", type: "line", step: "end", data: days.map((d) => d[1]), color: "#4f46e5" }],
  });
  window.addEventListener("resize", () => chart.resize());
}
document.addEventListener("DOMContentLoaded", drawHealthChart);
document.addEventListener("htmx:afterSettle", drawHealthChart);

// Revenue up for renewal per window, stacked by health band, on the risk page.
function drawRenewalsChart() {
  const el = document.getElementById("renewals-chart");
  if (!el || !window.echarts || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  const rows = JSON.parse(el.dataset.series || "[]");
  const bands = [["Red", "#dc2626"], ["Yellow", "#eab308"], ["Green", "#16a34a"], ["Not scored", "#94a3b8"]];
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 72, right: 16, top: 32, bottom: 32 },
    legend: { top: 0 },
    tooltip: { trigger: "axis", valueFormatter: (v) => "$" + Math.round(v).toLocaleString() },
    xAxis: { type: "category", data: rows.map((r) => r[0]) },
    yAxis: { type: "value", axisLabel: { formatter: (v) => "$" + (v >= 1000 ? Math.round(v / 1000) + "k" : v) } },
    series: bands.map(([name, color], i) => ({ name, type: "bar", stack: "arr", color, data: rows.map((r) => r[i + 1]) })),
  });
  window.addEventListener("resize", () => chart.resize());
}
document.addEventListener("DOMContentLoaded", drawRenewalsChart);
document.addEventListener("htmx:afterSettle", drawRenewalsChart);

// The champion quadrant on an account's champions page: engagement across, delight up, the
// bubble's size its influence; hollow while delight is not known (drawn on the middle line).
function drawChampionChart() {
  const el = document.getElementById("champion-chart");
  if (!el || !window.echarts || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  const people = JSON.parse(el.dataset.series || "[]");
  const area = (x0, y0, x1, y1, name, color) => [
    { xAxis: x0, yAxis: y0, name, itemStyle: { color } },
    { xAxis: x1, yAxis: y1 },
  ];
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 56, right: 24, top: 16, bottom: 48 },
    tooltip: {
      formatter: (p) => `${p.data.name}<br>Engagement ${p.data.value[0]} · Delight ${p.data.known ? p.data.value[1] : "not known"} · Influence ${p.data.value[2]}`,
    },
    xAxis: { type: "value", name: "Engagement", nameLocation: "middle", nameGap: 28, min: 0, max: 100 },
    yAxis: { type: "value", name: "Delight", nameLocation: "middle", nameGap: 36, min: 0, max: 100 },
    series: [{
      type: "scatter",
      data: people.map((p) => ({
        name: p.name,
        known: p.known,
        value: [p.engagement, p.delight, p.influence],
        itemStyle: p.known ? { color: "#4f46e5", opacity: 0.75 } : { color: "#fff", borderColor: "#4f46e5", borderWidth: 2 },
      })),
      symbolSize: (v) => 12 + v[2] * 0.4,
      label: { show: true, position: "right", formatter: (p) => p.data.name, fontSize: 11 },
      markArea: {
        silent: true,
        label: { position: "insideTop", color: "#64748b", fontSize: 11 },
        data: [
          area(50, 50, 100, 100, "Engaged and delighted", "rgba(22,163,74,0.06)"),
          area(50, 0, 100, 50, "Cares about the problem, dislikes our solution", "rgba(220,38,38,0.07)"),
          area(0, 50, 50, 100, "Likes us, rarely engages", "rgba(234,179,8,0.06)"),
          area(0, 0, 50, 50, "Neither engaged nor delighted", "rgba(148,163,184,0.08)"),
        ],
      },
    }],
  });
  window.addEventListener("resize", () => chart.resize());
}
document.addEventListener("DOMContentLoaded", drawChampionChart);
document.addEventListener("htmx:afterSettle", drawChampionChart);

// The top bar. Its menus are <details>: they open and close without this script, by mouse
// and keyboard; here one menu opens at a time, and a click elsewhere or Escape closes it.
// "/" or Ctrl/Cmd-K focuses the search box, unless someone is typing in a field.
function isTyping(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  const notText = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"];
  return el.tagName === "INPUT" && !notText.includes(el.type);
}
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") {
    const open = document.querySelector("details.menu[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
    return;
  }
  const slash = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey;
  const palette = (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k";
  const search = document.getElementById("global-search");
  if (!search || !(slash || palette) || isTyping(document.activeElement)) return;
  e.preventDefault();
  search.focus();
  search.select();
});
// "toggle" does not bubble: listen while it goes down to the menu.
document.addEventListener("toggle", (e) => {
  const menu = e.target;
  if (!menu.matches || !menu.matches("details.menu[open]")) return;
  for (const other of document.querySelectorAll("details.menu[open]")) if (other !== menu) other.open = false;
}, true);
document.addEventListener("click", (e) => {
  for (const open of document.querySelectorAll("details.menu[open]")) if (!open.contains(e.target)) open.open = false;
});

// Rates over time in percent on the revenue retention page: one line per series.
function drawPercentCharts() {
  for (const el of document.querySelectorAll(".pct-chart")) {
    if (!window.echarts || el.dataset.drawn) continue;
    el.dataset.drawn = "1";
    const data = JSON.parse(el.dataset.series || "{}");
    const chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 56, right: 16, top: 40, bottom: 32 },
      legend: { top: 0, type: "scroll" },
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : v.toFixed(1) + " %") },
      xAxis: { type: "category", data: data.x || [] },
      yAxis: { type: "value", scale: true, axisLabel: { formatter: "{value} %" } },
      series: (data.series || []).map((s) => ({ name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 })),
    });
    window.addEventListener("resize", () => chart.resize());
  }
}
document.addEventListener("DOMContentLoaded", drawPercentCharts);
document.addEventListener("htmx:afterSettle", drawPercentCharts);

// Kaplan–Meier curves on the retention curves page: a step line per group, and its 95 % band
// as two faint dashed lines while few enough curves are shown for the bands to stay readable.
function drawSurvivalChart() {
  const el = document.getElementById("survival-chart");
  if (!el || !window.echarts || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  const curves = JSON.parse(el.dataset.series || "[]");
  const colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#64748b"];
  const bands = curves.length <= 4;
  const series = [];
  curves.forEach((c, i) => {
    const color = colors[i % colors.length];
    const pts = [[0, 100, 100, 100], ...c.points];
    series.push({ name: c.name, type: "line", step: "end", showSymbol: false, color, data: pts.map((p) => [p[0], p[1]]) });
    if (!bands) return;
    for (const k of [2, 3]) {
      series.push({ name: c.name, type: "line", step: "end", showSymbol: false, color, silent: true,
        lineStyle: { type: "dashed", width: 1, opacity: 0.45 }, tooltip: { show: false }, data: pts.map((p) => [p[0], p[k]]) });
    }
  });
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    legend: { top: 0, type: "scroll", data: curves.map((c) => c.name) },
    tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : v.toFixed(1) + " %") },
    xAxis: { type: "value", name: "days of tenure", nameLocation: "middle", nameGap: 26, min: 0 },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
    series,
  });
  window.addEventListener("resize", () => chart.resize());
}
document.addEventListener("DOMContentLoaded", drawSurvivalChart);
document.addEventListener("htmx:afterSettle", drawSurvivalChart);
