/* MakePlus caisse: comfort only, every form works without it.
   - live total of the ticked items;
   - "/" (or F2) goes back to the search box, selecting it for the next scan;
   - a submitted form's buttons are disabled (the server is idempotent anyway). */
(function () {
  "use strict";
  function cents(text) {
    var parts = String(text).split(".");
    return parseInt(parts[0], 10) * 100 + parseInt((parts[1] || "0").padEnd(2, "0").slice(0, 2), 10);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("sale-form");
    var total = document.getElementById("total");
    function update() {
      if (!form || !total) { return; }
      var sum = 0, n = 0;
      form.querySelectorAll("input[name=item]:checked").forEach(function (box) {
        sum += cents(box.getAttribute("data-price")); n += 1;
      });
      // words and number format of the page's language (data-* set by the template)
      var amount = (sum / 100).toLocaleString(total.getAttribute("data-lang") || undefined,
                                             {minimumFractionDigits: 2, maximumFractionDigits: 2});
      total.textContent = n ? (total.getAttribute("data-label") || "Total") + " " + amount + " DZD (" + n + ")"
                            : (total.getAttribute("data-empty") || "Tick the items to sell");
      total.classList.toggle("empty", !n);
    }
    if (form) { form.addEventListener("change", update); update(); }

    document.querySelectorAll("form").forEach(function (f) {
      f.addEventListener("submit", function () {
        if (f.method.toLowerCase() !== "post") { return; }
        window.setTimeout(function () {
          f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });

    var q = document.getElementById("q");
    document.addEventListener("keydown", function (e) {
      if (!q) { return; }
      var tag = (e.target && e.target.tagName) || "";
      var type = (e.target && e.target.type) || "";
      var typing = tag === "TEXTAREA" || tag === "SELECT" ||
        (tag === "INPUT" && ["checkbox", "radio", "submit", "button"].indexOf(type) < 0);
      if ((e.key === "/" && !typing) || e.key === "F2") {
        e.preventDefault(); q.focus(); q.select();
      }
    });
  });
})();
