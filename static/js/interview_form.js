// The interview form (templates/supervision/interviews/form.html) shows only what fits the
// chosen kind and subject; without JavaScript every part stays visible and the service checks
// the combination.
(function () {
  var form = document.getElementById("interview-form");
  if (!form) return;
  function value(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }
  function update() {
    var kind = value("kind"), subject = value("subject_type");
    form.querySelectorAll("[data-subject]").forEach(function (el) {
      el.hidden = subject && el.dataset.subject !== subject;
    });
    form.querySelectorAll("[data-audience]").forEach(function (el) {
      var forTeam = el.dataset.audience === "team";
      el.hidden = subject && (subject === "team") !== forTeam;
    });
    form.querySelectorAll('[data-kind="yuetan"]').forEach(function (el) { el.hidden = kind !== "yuetan"; });
    form.querySelectorAll('[data-kind="record"]').forEach(function (el) { el.hidden = kind === "yuetan"; });
    var label = kind === "yuetan" ? "提交约谈提议" : "保存";
    document.querySelector("#submit-button span").textContent = label;
    var title = kind === "yuetan" ? "提议约谈" : "登记谈话";
    document.getElementById("form-title").textContent = title;
    document.getElementById("crumb-title").textContent = title;
    document.title = title + " · 干部考核管理系统";
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind" || event.target.name === "subject_type") update();
  });
  update();
})();
