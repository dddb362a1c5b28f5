// Progress bars of checks and imports running in the background: poll each job's status (JSON)
// until it is finished, then open the job's page, which shows the counts or the problems (and,
// after a passed check, the 确认导入 button).
(function () {
  function show(box, s) {
    var bar = box.querySelector(".job-bar");
    var percent = box.querySelector(".job-percent");
    if (s.percent === null) {
      bar.removeAttribute("value");  // an indeterminate bar: the total is not known
      percent.textContent = "";
    } else {
      bar.value = s.percent;
      percent.textContent = s.percent + " %";
    }
    box.querySelector(".job-phase").textContent = s.label;
  }
  function poll(box) {
    fetch(box.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        show(box, s);
        if (s.finished) {
          box.dataset.finished = "1";
          setTimeout(function () { window.location.href = box.dataset.page; }, 400);
        } else {
          setTimeout(function () { poll(box); }, 500);
        }
      })
      .catch(function () { setTimeout(function () { poll(box); }, 2000); });
  }
  var boxes = document.querySelectorAll(".import-job");
  for (var i = 0; i < boxes.length; i++) {
    if (boxes[i].dataset.finished !== "1") { poll(boxes[i]); }
  }
})();
