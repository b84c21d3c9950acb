/*
 * The top bar's type-ahead search. Typing (debounced) fetches /search/?q=… as a fragment
 * (HX-Request header → the "dropdown" partial: contacts, companies and deals, grouped).
 * Arrow keys move through the results, Enter opens the highlighted one, or — with nothing
 * highlighted — submits the form to the full results page. Escape closes the list.
 */
(function () {
  "use strict";

  var DELAY = 250;
  var MIN_LENGTH = 2;

  function setup(form) {
    var input = form.querySelector("input[name=q]");
    var list = form.querySelector("[role=listbox]");
    if (!input || !list || form.dataset.searchReady) return;
    form.dataset.searchReady = "1";
    var timer = null;
    var controller = null;
    var lastQuery = null;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll("[data-search-option]"));
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = options();
      if (!items.length) return;
      if (index < -1) index = items.length - 1;
      if (index >= items.length) index = -1;
      active = index;
      items.forEach(function (item, i) {
        var on = i === index;
        item.setAttribute("aria-selected", on ? "true" : "false");
        item.classList.toggle("is-active", on);
        if (on) item.scrollIntoView({ block: "nearest" });
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function fetchResults() {
      var query = input.value.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      if (query.length < MIN_LENGTH) {
        list.replaceChildren();
        close();
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(form.action + "?q=" + encodeURIComponent(query), {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(function (response) {
          if (!response.ok) throw new Error("search failed: " + response.status);
          return response.text();
        })
        .then(function (html) {
          if (input.value.trim() !== query) return;
          var fragment = new DOMParser().parseFromString(html, "text/html");
          list.replaceChildren.apply(list, Array.prototype.slice.call(fragment.body.childNodes));
          active = -1;
          input.removeAttribute("aria-activedescendant");
          if (document.activeElement === input) open();
        })
        .catch(function (error) {
          if (error.name !== "AbortError") lastQuery = null;
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchResults, DELAY);
    });

    input.addEventListener("focus", function () {
      if (list.childElementCount && input.value.trim().length >= MIN_LENGTH) open();
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) {
          if (!list.childElementCount) return;
          open();
        }
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        var items = options();
        if (!list.hidden && active >= 0 && items[active]) {
          event.preventDefault();
          var link = items[active].querySelector("a");
          if (link) window.location.assign(link.href);
        }
        // Otherwise the form submits: the full results page.
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      }
    });

    list.addEventListener("mousemove", function (event) {
      var item = event.target.closest("[data-search-option]");
      if (item) highlight(options().indexOf(item));
    });

    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) close();
    });

    form.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !form.contains(event.relatedTarget)) close();
    });
  }

  function start() {
    document.querySelectorAll("form[data-search]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
