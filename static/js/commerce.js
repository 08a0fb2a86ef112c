// Orders and bookings: fill a field from a suggestion, add an item row. No inline scripts (CSP).
(function () {
  if (window.parleyCommerce) return;
  window.parleyCommerce = true;
  document.addEventListener("click", function (event) {
    var fill = event.target.closest("[data-fill-target]");
    if (fill) {
      event.preventDefault();
      var form = fill.closest("form");
      var field = form && form.querySelector("[name='" + fill.getAttribute("data-fill-target") + "']");
      if (field) { field.value = fill.getAttribute("data-fill-value"); field.focus(); }
      return;
    }
    var add = event.target.closest("[data-add-item-row]");
    if (add) {
      event.preventDefault();
      var rows = add.closest("form").querySelector(".item-rows");
      var last = rows && rows.querySelector(".item-row:last-child");
      if (!last) return;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = input.name === "item_qty" ? "1" : ""; });
      rows.appendChild(copy);
    }
  });
})();
