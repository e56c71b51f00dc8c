/* trackcheck report: filter the cards (models or files) by name and by rule. No request, no
   markup built from data: only the hidden flag and a text count change. */
(function () {
  "use strict";
  var nameBox = document.getElementById("filter-name");
  var ruleBox = document.getElementById("filter-rule");
  var count = document.getElementById("filter-count");
  if (!nameBox || !ruleBox || !count) {
    return;
  }
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card[data-name]"));

  function has(list, code) {
    return (" " + (list || "") + " ").indexOf(" " + code + " ") !== -1;
  }

  function apply() {
    var query = nameBox.value.trim().toLowerCase();
    var code = ruleBox.value;
    var shown = 0;
    cards.forEach(function (card) {
      var name = (card.getAttribute("data-name") || "").toLowerCase();
      var keep = name.indexOf(query) !== -1 && (!code || has(card.getAttribute("data-rules"), code));
      card.hidden = !keep;
      if (keep) {
        shown += 1;
      }
      card.querySelectorAll("[data-rules]").forEach(function (el) {
        el.hidden = Boolean(code) && !has(el.getAttribute("data-rules"), code);
      });
      card.querySelectorAll("[data-rule]").forEach(function (el) {
        el.hidden = Boolean(code) && el.getAttribute("data-rule") !== code;
      });
    });
    count.textContent = shown + " of " + cards.length + " shown";
  }

  nameBox.addEventListener("input", apply);
  ruleBox.addEventListener("change", apply);
  apply();
}());
