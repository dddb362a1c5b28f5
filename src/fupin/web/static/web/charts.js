// Dashboard charts of a region page, drawn with the local copy of Apache ECharts.
(function () {
  var el = document.getElementById("chart-data");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var draw = window.fupinDrawChart;
  draw("chart-status", {
    title: { text: "贫困户按状态", left: "center" },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], data: data.status, label: { formatter: "{b}：{c}户" } }]
  });
  draw("chart-causes", {
    title: { text: "主要致贫原因", left: "center" },
    tooltip: { trigger: "axis" },
    grid: { left: 110, right: 30, top: 40, bottom: 30 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.causes.names },
    series: [{ type: "bar", data: data.causes.values }]
  });
  if (data.children && data.children.names.length) {
    var children = draw("chart-children", {
      title: { text: "下级区划对比（点击下钻）", left: "center" },
      tooltip: { trigger: "axis" },
      legend: { top: 28 },
      grid: { left: 60, right: 30, top: 70, bottom: 60 },
      xAxis: { type: "category", data: data.children.names, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", name: "户", minInterval: 1 },
      series: data.children.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "户", data: s.data };
      })
    });
    if (children) {
      children.on("click", function (p) {
        var code = data.children.codes[p.dataIndex];
        if (code) { window.location.href = "/regions/" + code + "/"; }
      });
    }
  }
  draw("chart-years", {
    title: { text: "各年度识别与脱贫户数", left: "center" },
    tooltip: { trigger: "axis" },
    legend: { top: 28 },
    grid: { left: 50, right: 30, top: 70, bottom: 30 },
    xAxis: { type: "category", data: data.years.years },
    yAxis: { type: "value", name: "户", minInterval: 1 },
    series: [
      { name: "识别", type: "bar", data: data.years.identified },
      { name: "脱贫", type: "bar", data: data.years.exited }
    ]
  });
})();
