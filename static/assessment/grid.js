// Assessment pages: score grid keyboard and range hints, scheme weight sums, recompute progress.
// Every page works without this script; the server validates everything again.
(function () {
  "use strict";

  // ------------------------------------------------------------ the score grid
  function scoreInputs(row) {
    return Array.prototype.slice.call(row.querySelectorAll("td"));
  }

  function cellIndex(input) {
    var td = input.closest("td");
    return scoreInputs(td.parentElement).indexOf(td);
  }

  function inputAt(row, index) {
    var td = row && scoreInputs(row)[index];
    return td ? td.querySelector("input.grid-score:not([disabled]), select") : null;
  }

  function moveVertical(input, step) {
    var index = cellIndex(input);
    var row = input.closest("tr");
    while (row) {
      row = step > 0 ? row.nextElementSibling : row.previousElementSibling;
      var target = inputAt(row, index);
      if (target) {
        target.focus();
        if (target.select) target.select();
        return true;
      }
    }
    return false;
  }

  function checkRange(input) {
    var text = input.value.trim();
    var feedback = input.parentElement.querySelector(".client-feedback");
    var message = "";
    if (text !== "") {
      var value = Number(text);
      var min = Number(input.dataset.min);
      var max = Number(input.dataset.max);
      if (!isFinite(value) || !/^[-+]?\d*\.?\d+$/.test(text)) {
        message = "不是数字";
      } else if (value < min || value > max) {
        message = "应在 " + min + "–" + max + " 之间";
      }
    }
    input.classList.toggle("is-invalid", message !== "");
    if (message) {
      if (!feedback) {
        feedback = document.createElement("div");
        feedback.className = "invalid-feedback d-block small client-feedback";
        input.parentElement.appendChild(feedback);
      }
      feedback.textContent = message;
    } else if (feedback) {
      feedback.remove();
    }
  }

  function applyTrack(select) {
    var row = select.closest("tr");
    row.querySelectorAll("input.grid-score[data-track]").forEach(function (input) {
      // Inputs of another track are not sent, so their stored scores stay as they are.
      input.disabled = input.dataset.track !== select.value;
    });
  }

  var grid = document.getElementById("score-grid");
  if (grid) {
    grid.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.classList || !input.classList.contains("grid-score")) return;
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        moveVertical(input, 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        moveVertical(input, -1);
      }
    });
    grid.addEventListener("input", function (event) {
      var input = event.target;
      if (!input.classList.contains("grid-score")) return;
      // The server's message was about the old value: once the cell is edited, it no longer applies.
      var td = input.closest("td");
      td.querySelectorAll(".invalid-feedback:not(.client-feedback)").forEach(function (el) {
        el.remove();
      });
      td.classList.remove("cell-error");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("title");
      checkRange(input);
    });
    grid.addEventListener("change", function (event) {
      if (event.target.classList.contains("grid-track")) applyTrack(event.target);
    });
    grid.querySelectorAll("input.grid-score").forEach(function (input) {
      if (input.value.trim() !== "" && !input.classList.contains("is-invalid")) checkRange(input);
    });
  }

  // ------------------------------------------------------------ the scheme formset
  var table = document.getElementById("indicator-table");
  var sums = document.getElementById("weight-sums");
  var TRACKS = { rural: "乡村振兴", project: "项目建设", enterprise: "为企服务", governance: "基层治理" };

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function updateSums() {
    if (!table || !sums) return;
    var common = 0;
    var tracks = {};
    table.querySelectorAll("tr.indicator-row").forEach(function (row) {
      var del = field(row, "DELETE");
      if (del && del.checked) return;
      var weight = Number((field(row, "weight") || {}).value || 0);
      if (!isFinite(weight)) return;
      var group = (field(row, "group") || {}).value;
      var track = (field(row, "track") || {}).value;
      if (group === "individual") {
        tracks[track || ""] = (tracks[track || ""] || 0) + weight;
      } else {
        common += weight;
      }
    });
    var parts = [];
    var keys = Object.keys(tracks);
    function badge(label, total) {
      var ok = Math.abs(total - 100) < 0.005;
      return '<span class="badge ' + (ok ? "text-bg-success" : "text-bg-danger") + ' me-2">' + label + "：" +
        Math.round(total * 100) / 100 + "</span>";
    }
    if (!keys.length) {
      parts.push(badge("共性指标权重合计", common));
    } else {
      keys.forEach(function (key) {
        parts.push(badge("共性＋" + (TRACKS[key] || "未选赛道"), common + tracks[key]));
      });
    }
    sums.innerHTML = "权重合计（应为 100）：" + parts.join("");
  }

  if (table) {
    table.addEventListener("input", updateSums);
    table.addEventListener("change", updateSums);
    var add = document.getElementById("add-indicator");
    var template = document.getElementById("empty-indicator");
    var total = document.querySelector('input[name$="-TOTAL_FORMS"]');
    if (add && template && total) {
      add.addEventListener("click", function () {
        var index = Number(total.value);
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var first = table.querySelector("tbody tr:last-child input:not([type=hidden])");
        if (first) first.focus();
      });
    }
    updateSums();
  }

  // ------------------------------------------------------------ recompute progress
  var job = document.getElementById("job-progress");
  if (job && (job.dataset.state === "pending" || job.dataset.state === "running")) {
    var LABELS = { pending: "排队中", running: "执行中", done: "已完成", failed: "失败" };
    var timer = window.setInterval(function () {
      fetch(job.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          var done = data.done || 0;
          var totalCount = data.total || 0;
          var bar = job.querySelector('[data-role="bar"]');
          var percent = data.state === "done" ? 100 : totalCount ? Math.round((done * 100) / totalCount) : 0;
          bar.style.width = percent + "%";
          job.querySelector('[data-role="count"]').textContent = done + " / " + totalCount;
          job.querySelector('[data-role="state"]').textContent = LABELS[data.state] || data.state;
          if (data.state === "done" || data.state === "failed") {
            window.clearInterval(timer);
            bar.classList.add(data.state === "done" ? "bg-success" : "bg-danger");
          }
        })
        .catch(function () {
          window.clearInterval(timer);
        });
    }, 1000);
  }
})();
