// The agent console's live part. The pages work as plain forms without it; with it, the lists
// and the transcript follow the server's events (server-sent events), and a reply is sent
// without leaving the page.
(function () {
  "use strict";

  var list = document.getElementById("console-list");
  if (list) {
    var refreshing = false;
    var changes = new EventSource(list.getAttribute("data-live"));
    changes.addEventListener("changed", function () {
      if (refreshing) return;
      refreshing = true;
      fetch(list.getAttribute("data-refresh"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) list.innerHTML = html; })
        .finally(function () { refreshing = false; });
    });
  }

  // Set once the agent ends or hands back the conversation here: the form's own answer takes
  // the page elsewhere, and the change it causes must not reload this one first.
  var leaving = false;
  Array.prototype.forEach.call(
    document.querySelectorAll("[data-testid=end-form], [data-testid=hand-back-form]"),
    function (form) { form.addEventListener("submit", function () { leaving = true; }); }
  );

  var lines = document.getElementById("lines");
  if (lines) {
    var standing = document.querySelector("[data-standing]");
    var url = lines.getAttribute("data-live") + "?after=" + encodeURIComponent(lines.getAttribute("data-after"));
    var stream = new EventSource(url);
    stream.addEventListener("lines", function (event) {
      var message = JSON.parse(event.data);
      lines.insertAdjacentHTML("beforeend", message.html);
      lines.setAttribute("data-after", event.lastEventId);
      // Taken by someone else, or over: the page's forms no longer apply.
      if (!leaving && standing && message.standing !== standing.getAttribute("data-standing")) {
        window.location.reload();
      }
    });
  }

  var reply = document.querySelector("[data-testid=reply-form]");
  if (reply) {
    reply.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = reply.querySelector("textarea");
      if (!text.value.trim()) return;
      var body = new URLSearchParams(new FormData(reply));
      var button = reply.querySelector("button");
      button.disabled = true;
      fetch(reply.getAttribute("action"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual",
      }).then(function () {
        text.value = "";
      }).finally(function () {
        button.disabled = false;
        text.focus();
      });
    });
  }
})();
