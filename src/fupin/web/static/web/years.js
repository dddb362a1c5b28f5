// Charts of the year comparison page (年度对比), drawn with the local copy of Apache ECharts.
(function () {
  var el = document.getElementById("years-data");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var draw = window.fupinDrawChart;
  var years = data.years.map(String);
  var series = data.statuses.map(function (s) {
    return { name: s.name + "户", type: "bar", stack: "户", data: s.data };
  });
  series.push({ name: "贫困发生率", type: "line", yAxisIndex: 1, data: data.incidence, connectNulls: false });
  draw("chart-years-status", {
    title: { text: "年末户数（按贫困状态）与贫困发生率", left: "center" },
    tooltip: { trigger: "axis" },
    legend: { top: 28 },
    grid: { left: 55, right: 55, top: 80, bottom: 30 },
    xAxis: { type: "category", data: years },
    yAxis: [
      { type: "value", name: "户", minInterval: 1 },
      { type: "value", name: "%", splitLine: { show: false } }
    ],
    series: series
  });
  draw("chart-years-flow", {
    title: { text: "当年脱贫与当年新识别户数", left: "center" },
    tooltip: { trigger: "axis" },
    legend: { top: 28 },
    grid: { left: 50, right: 30, top: 70, bottom: 30 },
    xAxis: { type: "category", data: years },
    yAxis: { type: "value", name: "户", minInterval: 1 },
    series: [
      { name: "当年脱贫", type: "bar", data: data.exited },
      { name: "当年新识别", type: "bar", data: data.identified }
    ]
  });
  if (data.children && data.children.names.length) {
    var selected = data.selected;
    var children = draw("chart-years-children", {
      title: { text: "下级区划贫困发生率：" + (selected - 1) + "年与" + selected + "年（点击查看）", left: "center" },
      tooltip: { trigger: "axis" },
      legend: { top: 28 },
      grid: { left: 60, right: 30, top: 70, bottom: 60 },
      xAxis: { type: "category", data: data.children.names, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", name: "%" },
      series: [
        { name: (selected - 1) + "年", type: "bar", data: data.children.last },
        { name: selected + "年", type: "bar", data: data.children.this }
      ]
    });
    if (children) {
      children.on("click", function (p) {
        var code = data.children.codes[p.dataIndex];
        if (code) { window.location.href = "/regions/" + code + "/years/?year=" + selected; }
      });
    }
  }
})();
