// The dashboard's charts: each .chart-canvas carries its figures as JSON in
// data-chart (the same figures as the table beside it); Apache ECharts,
// served by the node itself, draws them on a canvas.
(function () {
  'use strict';
  if (typeof echarts === 'undefined') { return; }
  var nodes = document.querySelectorAll('.chart-canvas[data-chart]');
  var charts = [];
  for (var i = 0; i < nodes.length; i++) {
    var el = nodes[i];
    var spec = JSON.parse(el.getAttribute('data-chart'));
    var unit = spec.unit || '';
    var series = spec.series.map(function (s) {
      var o = { name: s.name, type: spec.kind === 'line' ? 'line' : 'bar', data: s.data };
      if (spec.kind === 'stack') { o.stack = 'all'; }
      return o;
    });
    if (spec.target != null && series.length > 0) {
      series[0].markLine = { symbol: 'none', silent: true, data: [{ yAxis: spec.target }],
        label: { position: 'insideEndTop', formatter: spec.target_name + ' ' + spec.target + unit } };
    }
    var chart = echarts.init(el, null, { renderer: 'canvas', locale: spec.lang === 'en' ? 'EN' : 'ZH' });
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0, data: spec.series.map(function (s) { return s.name; }) },
      grid: { containLabel: true, left: 32, right: 16, bottom: 8, top: 36 },
      xAxis: { type: 'category', data: spec.categories,
        axisLabel: { interval: 0, rotate: spec.categories.length > 3 ? 30 : 0, width: 90, overflow: 'truncate' } },
      yAxis: { type: 'value', max: unit === '%' ? 100 : null, minInterval: unit === '%' ? 0 : 1,
        axisLabel: { formatter: '{value}' + unit } },
      series: series
    });
    charts.push(chart);
  }
  window.addEventListener('resize', function () {
    for (var j = 0; j < charts.length; j++) { charts[j].resize(); }
  });
}());
