/*
 * Settings pages: drag-and-drop stage order (SortableJS) and "copy the new API key".
 * The up/down buttons next to each stage do the same without a script or a mouse.
 */
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function saveOrder(list) {
    var body = new URLSearchParams();
    list.querySelectorAll("[data-stage-id]").forEach(function (item) {
      body.append("stage_ids", item.getAttribute("data-stage-id"));
    });
    list.setAttribute("aria-busy", "true");
    return fetch(list.getAttribute("data-reorder-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
      body: body,
    }).then(function (response) {
      list.removeAttribute("aria-busy");
      if (!response.ok) {
        // The server kept the old order: show it again.
        window.location.reload();
        return;
      }
      list.setAttribute("data-saved", "true");
      updateMoveButtons(list);
    });
  }

  function updateMoveButtons(list) {
    var items = list.querySelectorAll("[data-stage-id]");
    items.forEach(function (item, index) {
      var up = item.querySelector('button[value="up"]');
      var down = item.querySelector('button[value="down"]');
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === items.length - 1;
    });
  }

  function initSortable() {
    if (typeof window.Sortable === "undefined") return;
    document.querySelectorAll("[data-stage-list]").forEach(function (list) {
      list.classList.add("stage-list--sortable");
      window.Sortable.create(list, {
        handle: "[data-drag-handle]",
        draggable: "[data-stage-id]",
        animation: 150,
        ghostClass: "stage-row--ghost",
        onEnd: function (event) {
          if (event.oldIndex !== event.newIndex) saveOrder(list);
        },
      });
    });
  }

  function initCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = document.querySelector(button.getAttribute("data-copy"));
        if (!input) return;
        input.select();
        var done = function () {
          button.textContent = "Copied";
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {});
        } else {
          done();
        }
      });
    });
    document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () {
        input.select();
      });
    });
  }

  function init() {
    initSortable();
    initCopy();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
