// The incentives pages: the progress of the lists computation (a job), polled once a second
// until it is done; every page works without this script.
(function () {
  var job = document.getElementById("job-progress");
  if (!job || (job.dataset.state !== "pending" && job.dataset.state !== "running")) return;
  var LABELS = { pending: "排队中", running: "执行中", done: "已完成", failed: "失败" };
  var timer = window.setInterval(function () {
    fetch(job.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        var done = data.done || 0;
        var total = data.total || 0;
        var bar = job.querySelector('[data-role="bar"]');
        var percent = data.state === "done" ? 100 : total ? Math.round((done * 100) / total) : 0;
        bar.style.width = percent + "%";
        job.querySelector('[data-role="count"]').textContent = done + " / " + total;
        job.querySelector('[data-role="state"]').textContent = LABELS[data.state] || data.state;
        if (data.state === "done" || data.state === "failed") {
          window.clearInterval(timer);
          bar.classList.add(data.state === "done" ? "bg-success" : "bg-danger");
          if (data.state === "done") job.insertAdjacentHTML("beforeend", '<div class="card-body pt-0 small"><a href="">名单已更新，刷新页面查看</a></div>');
        }
      })
      .catch(function () {
        window.clearInterval(timer);
      });
  }, 1000);
})();
