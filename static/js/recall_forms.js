// Recall forms: show only the fields the choice needs (the page works without this too).
(function () {
  "use strict";

  function toggle(selector, show) {
    document.querySelectorAll(selector).forEach(function (el) {
      el.hidden = !show;
    });
  }

  // 提议召回: the situation for 惰政情形, the period for 考核等次.
  var propose = document.querySelector("form[data-recall-propose]");
  if (propose) {
    var source = propose.querySelector("select[name=source]");
    var sync = function () {
      if (!source) return;
      toggle(".rc-when-situation", source.value === "situation" || source.value === "");
      toggle(".rc-when-grade", source.value === "grade");
    };
    if (source) source.addEventListener("change", sync);
    sync();
  }

  // 处理结果: the front-line fields only for 一线岗位或重点项目锻炼.
  var outcome = document.querySelector("form[data-recall-outcome]");
  if (outcome) {
    var select = outcome.querySelector("select[name=outcome]");
    var syncOutcome = function () {
      toggle(".rc-frontline-field", select && select.value === "frontline");
    };
    if (select) select.addEventListener("change", syncOutcome);
    syncOutcome();
  }
})();
