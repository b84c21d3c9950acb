/*
 * The deals board (templates/pipelines/board.html).
 *
 * - Drag and drop between and within columns with SortableJS (one group shared by every
 *   column). On drop it POSTs stage_id, position (index in the column) and after_id (the card
 *   above, which stays right when filters hide deals) to /deals/<id>/move, asking for JSON;
 *   the reply carries the two columns' new count and total and the card re-rendered.
 * - A drop on a lost stage first asks for the reason in a <dialog>; Cancel puts the card back.
 * - Grouped by owner (data-group="owner"), every column list also names its lane (data-lane);
 *   a drop in another owner's lane hands the deal to them, so the POST carries the lane and
 *   the reply the touched lanes' headers too. A lane marked data-lane-locked (someone who
 *   left the workspace) takes no cards from other lanes.
 * - The filter selects submit their form on change.
 * Without this file the board still works: every card has a "Move to…" form.
 */
(function () {
  "use strict";

  const EMPTY_ID = "00000000-0000-0000-0000-000000000000";

  function csrfToken() {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) {
      /* fall through to the cookie */
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function announce(board, text) {
    const status = document.querySelector("[data-board-status]");
    if (status) status.textContent = text;
  }

  function putBack(event) {
    const reference = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(event.item, reference);
  }

  function askLostReason(title) {
    const dialog = document.querySelector("[data-lost-dialog]");
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(new FormData());
    const form = dialog.querySelector("form");
    form.reset();
    const titleSlot = dialog.querySelector("[data-lost-title]");
    if (titleSlot) titleSlot.textContent = "“" + title + "”";
    return new Promise(function (resolve) {
      let answer = null;
      function onSubmit(event) {
        const submitter = event.submitter;
        answer = submitter && submitter.value === "confirm" ? new FormData(form) : null;
      }
      function onClose() {
        form.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("close", onClose);
        resolve(answer);
      }
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("close", onClose);
      dialog.showModal();
      const select = dialog.querySelector("select");
      if (select) select.focus();
    });
  }

  function applyColumns(board, columns) {
    columns.forEach(function (column) {
      let selector = '[data-column][data-stage="' + column.stage + '"]';
      if (column.lane) selector += '[data-lane="' + column.lane + '"]';
      const section = board.querySelector(selector);
      if (!section) return;
      const count = section.querySelector("[data-column-count]");
      const total = section.querySelector("[data-column-total]");
      if (count) count.textContent = String(column.count);
      if (total) total.textContent = column.total;
    });
  }

  function applyLanes(board, lanes) {
    (lanes || []).forEach(function (lane) {
      const header = board.querySelector('[data-lane-header][data-lane="' + lane.lane + '"]');
      if (!header) return;
      const count = header.querySelector("[data-lane-count]");
      const total = header.querySelector("[data-lane-total]");
      if (count) count.textContent = lane.count + " deal" + (lane.count === 1 ? "" : "s");
      if (total) total.textContent = lane.total;
    });
  }

  function laneName(list) {
    const row = list.closest("[data-lane-row]");
    const name = row ? row.querySelector(".board-lane__name") : null;
    return name ? name.textContent.trim() : "";
  }

  async function move(board, event, extra) {
    const card = event.item;
    const list = event.to;
    const previous = card.previousElementSibling;
    const body = extra || new FormData();
    body.set("stage_id", list.dataset.stage);
    body.set("position", String(event.newIndex));
    body.set("after_id", previous && previous.dataset.deal ? previous.dataset.deal : "");
    body.set("owner", board.dataset.owner || "");
    body.set("tag", board.dataset.tag || "");
    body.set("next", board.dataset.returnTo || "");
    if (board.dataset.group) body.set("group", board.dataset.group);
    if (list.dataset.lane) body.set("lane", list.dataset.lane);
    const url = board.dataset.moveUrl.replace(EMPTY_ID, card.dataset.deal);
    board.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      const data = await response.json().catch(function () {
        return {};
      });
      if (!response.ok) throw new Error(data.error || "HTTP " + response.status);
      applyColumns(board, data.columns);
      applyLanes(board, data.lanes);
      const template = document.createElement("template");
      template.innerHTML = data.card.trim();
      const fresh = template.content.firstElementChild;
      if (fresh && card.parentNode) card.replaceWith(fresh);
      const column = list.closest("[data-column]");
      const name = column ? column.querySelector(".board-column__name") : null;
      const stageName = name ? name.firstChild.textContent : "";
      const owner = event.from !== event.to && list.dataset.lane ? laneName(list) : "";
      announce(
        board,
        "Moved " +
          card.dataset.title +
          (stageName ? " to " + stageName : "") +
          (owner ? ", owner " + owner : "") +
          ".",
      );
    } catch (error) {
      putBack(event);
      const reason = error.message.indexOf("HTTP") === 0 ? "" : error.message + " ";
      announce(
        board,
        "Could not move " + card.dataset.title + ". " + reason + "Reload the page and try again.",
      );
      board.classList.add("board--error");
    } finally {
      board.removeAttribute("aria-busy");
    }
  }

  function initBoard(board) {
    if (!board.hasAttribute("data-can-move") || typeof window.Sortable === "undefined") return;
    board.querySelectorAll("[data-column-list]").forEach(function (list) {
      window.Sortable.create(list, {
        group: {
          name: "deals",
          // A locked lane takes cards only from itself (its own stage-to-stage moves).
          put: function (to, from) {
            const locked = to.el.hasAttribute("data-lane-locked");
            return !locked || to.el.dataset.lane === from.el.dataset.lane;
          },
        },
        animation: 150,
        // Pointer events rather than native HTML5 drag: the same on touch screens, and the
        // drag image is our own card.
        forceFallback: true,
        fallbackTolerance: 4,
        filter: ".deal-card__move",
        preventOnFilter: false,
        ghostClass: "deal-card--ghost",
        chosenClass: "deal-card--chosen",
        dragClass: "deal-card--dragging",
        onEnd: async function (event) {
          if (event.from === event.to && event.oldIndex === event.newIndex) return;
          let extra = null;
          const column = event.to.closest("[data-column]");
          if (event.from !== event.to && column && column.dataset.stageKind === "lost") {
            extra = await askLostReason(event.item.dataset.title || "this deal");
            if (extra === null) {
              putBack(event);
              return;
            }
          }
          move(board, event, extra);
        },
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-board]").forEach(initBoard);
    document.querySelectorAll("[data-board-filters]").forEach(function (form) {
      form.addEventListener("change", function () {
        form.requestSubmit();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
