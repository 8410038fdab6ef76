// Dashboard behaviour, kept out of the markup: the pages' Content-Security-Policy
// (makeplus_core.headers) refuses inline scripts and event-handler attributes.
(function () {
  "use strict";
  // <form data-confirm="…"> or <button data-confirm="…">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
  // <select data-autosubmit>: submit its form on change (the event switcher).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      select.form.submit();
    }
  });
})();
