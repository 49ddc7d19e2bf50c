/* The home page's charts (Apache ECharts, served from this site). Each chart's data comes from
 * a <script type="application/json"> block (Django's json_script) named by the box's
 * data-chart-source; a click on a bar segment opens the list behind it (the series' urls).
 * No inline code or styles: the tooltip is drawn on the canvas (renderMode richText). */
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") {
    return;
  }
  var PALETTE = ["#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6d4c41", "#78909c", "#8e24aa", "#00838f"];
  var charts = [];

  function option(spec) {
    var narrow = window.innerWidth < 576;
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { interval: 0, hideOverlap: true, rotate: !spec.horizontal && narrow && spec.categories.length > 3 ? 40 : 0 },
    };
    var valueAxis = { type: "value", max: spec.percent ? 100 : null, axisLabel: { formatter: spec.percent ? "{value}%" : "{value}" } };
    return {
      color: PALETTE,
      animation: false,
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0 },
      tooltip: {
        trigger: "item",
        renderMode: "richText",
        formatter: function (p) {
          var s = spec.series[p.seriesIndex];
          var count = s.counts ? "（" + s.counts[p.dataIndex] + "人）" : "";
          return p.name + "\n" + s.name + "：" + p.value + (spec.percent ? "%" : "") + count;
        },
      },
      xAxis: spec.horizontal ? valueAxis : categoryAxis,
      yAxis: spec.horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          stack: spec.stack ? "all" : undefined,
          data: s.values,
          cursor: "pointer",
          emphasis: { focus: "series" },
        };
      }),
    };
  }

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart-source"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    chart.on("click", function (p) {
      var url = (spec.series[p.seriesIndex] || {}).urls;
      url = url ? url[p.dataIndex] : "";
      if (url) {
        window.location.href = url;
      }
    });
    charts.push({ chart: chart, spec: spec });
  }

  document.querySelectorAll("[data-chart-source]").forEach(draw);

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(function () {
      charts.forEach(function (c) {
        c.chart.setOption(option(c.spec));
        c.chart.resize();
      });
    }, 100);
  });
})();
