// 赛道分配: "select all" ticks every cadre of the page, and the count of ticked cadres shows
// next to the save button. The page works without this script (tick one by one).
(function () {
  var all = document.getElementById("tick-all");
  var ticks = Array.prototype.slice.call(document.querySelectorAll("input.tick"));
  var count = document.querySelector('[data-role="ticked-count"]');
  if (!ticks.length) return;
  function update() {
    var n = ticks.filter(function (t) { return t.checked; }).length;
    if (count) count.textContent = n ? "已勾选 " + n + " 人" : "";
    if (all) {
      all.checked = n === ticks.length;
      all.indeterminate = n > 0 && n < ticks.length;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      ticks.forEach(function (t) { t.checked = all.checked; });
      update();
    });
  }
  ticks.forEach(function (t) { t.addEventListener("change", update); });
  update();
})();
