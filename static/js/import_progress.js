// An import being read (templates/assessment/import_detail.html): the bar follows the job and
// the page reloads when it has finished.
(function () {
  var card = document.getElementById("progress-card");
  var url = card && card.dataset.jobUrl;
  if (!url) { setTimeout(function () { location.reload(); }, 3000); return; }
  var bar = document.getElementById("progress-bar");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        var pct = job.total ? Math.min(100, Math.round(100 * job.done / job.total)) : 0;
        bar.style.width = pct + "%";
        bar.textContent = pct + "%";
        if (job.state === "done" || job.state === "failed") { location.reload(); return; }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
