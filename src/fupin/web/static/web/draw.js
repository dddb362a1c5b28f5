// One ECharts chart in the element with this id, in the site's colours, without animation
// (the browser tests and the screenshots read the final picture). Used by charts.js and years.js.
window.fupinDrawChart = function (id, option) {
  var node = document.getElementById(id);
  if (!node || typeof echarts === "undefined") { return null; }
  var chart = echarts.init(node);
  option.color = ["#c23531", "#2f4554", "#61a0a8", "#d48265", "#91c7ae", "#749f83"];
  option.animation = false;
  chart.setOption(option);
  return chart;
};
