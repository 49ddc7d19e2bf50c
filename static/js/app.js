// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("submit", function (event) {
  // Forms with data-confirm ask before a destructive POST (删除, 移出班子 ...).
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
