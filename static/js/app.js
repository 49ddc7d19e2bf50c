// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("submit", function (event) {
  // Forms with data-confirm ask before a destructive POST (删除, 移出班子 ...).
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The phone menu: the topbar's button says whether the sidebar is open (Bootstrap's
// offcanvas opens it and closes it on Esc, the backdrop or the close button).
(function () {
  var sidebar = document.getElementById("sidebar");
  if (!sidebar) return;
  var toggles = document.querySelectorAll('[data-bs-toggle="offcanvas"][aria-controls="sidebar"]');
  function mark(open) {
    toggles.forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.setAttribute("aria-label", open ? "关闭导航菜单" : "打开导航菜单");
    });
  }
  sidebar.addEventListener("show.bs.offcanvas", function () { mark(true); });
  sidebar.addEventListener("hide.bs.offcanvas", function () { mark(false); });
})();

// A table put straight into a card (without .table-responsive) scrolls inside the card
// instead of widening the page on a phone.
(function () {
  var bare = document.querySelectorAll(".content .card > table, .content .card-body > table");
  bare.forEach(function (table) {
    var wrap = document.createElement("div");
    wrap.className = "table-responsive";
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
  });
})();
