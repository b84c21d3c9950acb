/*
 * Record lists (templates/crm/contacts/list.html, companies, deals): selecting rows for the
 * bulk actions. By event delegation, so the list region htmx swaps in needs no re-binding.
 *
 * - [data-select-all] ticks or clears every [data-select-row] of its form (this page only).
 * - The bulk bar ([data-bulk-bar]) shows once a row is ticked, with "N selected".
 * - Enter in a bulk text field ([data-bulk-enter="tag"|"list"]) runs its own action, not the
 *   form's first button.
 * Without this file the bar is always shown and each row is ticked by hand.
 */
(function () {
  "use strict";

  function rowsOf(form) {
    return Array.from(form.querySelectorAll("[data-select-row]"));
  }

  function refresh(form) {
    if (!form) return;
    const rows = rowsOf(form);
    const ticked = rows.filter(function (box) {
      return box.checked;
    }).length;
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = rows.length > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    const bar = form.querySelector("[data-bulk-bar]");
    if (!bar) return;
    bar.classList.toggle("list-bulk--active", ticked > 0);
    const status = bar.querySelector("[data-bulk-status]");
    if (status) status.textContent = ticked === 1 ? "1 selected" : ticked + " selected";
  }

  function refreshAll() {
    document.querySelectorAll("[data-bulk-form]").forEach(refresh);
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    const form = target.closest("[data-bulk-form]");
    if (!form) return;
    if (target.matches("[data-select-all]")) {
      rowsOf(form).forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-all], [data-select-row]")) refresh(form);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    const target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.dataset.bulkEnter) return;
    const form = target.closest("[data-bulk-form]");
    const button =
      form && form.querySelector('[data-bulk-action="' + target.dataset.bulkEnter + '"]');
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  document.addEventListener("DOMContentLoaded", refreshAll);
  // The list region is swapped after a bulk action, a column choice or a Cancel.
  document.addEventListener("htmx:afterSettle", refreshAll);
  // Back/forward restores ticked boxes from the page cache.
  window.addEventListener("pageshow", refreshAll);
})();
