// Draws the dashboard's charts from the figures in #chart-data; a click on a bar or a point opens the matching
// case list (each item carries its URL). The tables under the charts hold the same numbers.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var items = data[element.dataset.chart] || [];
    var chart = echarts.init(element, null, { renderer: "svg" });
    var horizontal = element.dataset.kind === "bar";
    var labels = items.map(function (i) { return i.label; });
    var values = items.map(function (i) { return i.value; });
    chart.setOption({
      animation: false,
      grid: { left: horizontal ? 140 : 50, right: 20, top: 20, bottom: 30 },
      tooltip: { trigger: horizontal ? "item" : "axis" },
      xAxis: horizontal ? { type: "value", minInterval: 1 } : { type: "category", data: labels },
      yAxis: horizontal ? { type: "category", data: labels, inverse: true } : { type: "value", minInterval: 1 },
      series: [{
        type: horizontal ? "bar" : "line",
        data: values,
        cursor: "pointer",
        label: horizontal ? { show: true, position: "right" } : undefined,
      }],
    });
    chart.on("click", function (params) {
      var item = items[params.dataIndex];
      if (item && item.url) { window.location.href = item.url; }
    });
    element.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
