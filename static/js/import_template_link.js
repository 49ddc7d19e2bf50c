// The upload page's 下载模板 link (templates/assessment/import_upload.html) follows the chosen
// period and unit.
(function () {
  var form = document.getElementById("template-form");
  if (!form) return;
  var link = document.getElementById("template-link");
  function update() {
    link.href = "/api/v1/periods/" + form.t_period.value + "/template.xlsx?unit=" + form.t_unit.value;
  }
  form.addEventListener("change", update);
  update();
})();
