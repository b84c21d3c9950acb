/*
 * The type-ahead picker of the related-records cards (contact ↔ company, deal ↔ person).
 * htmx fetches the options as the person types (hx-get on the input, into the listbox); this
 * file opens and closes the list, moves through it with the arrow keys, and picks an option
 * (click or Enter): its id goes into the hidden field, its name into the input. Typing again
 * clears the picked id. Without this file the typed name is looked up when the form is posted.
 *
 * Event delegation on document: the cards are swapped by htmx and need no re-binding.
 */
(function () {
  "use strict";

  if (window.relatedPickerReady) return;
  window.relatedPickerReady = true;

  function parts(element) {
    var picker = element && element.closest ? element.closest("[data-picker]") : null;
    if (!picker) return null;
    return {
      picker: picker,
      input: picker.querySelector("[data-picker-input]"),
      value: picker.querySelector("[data-picker-value]"),
      list: picker.querySelector("[data-picker-list]"),
    };
  }

  function options(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll("[data-picker-option]"));
  }

  function activeIndex(p) {
    return options(p).findIndex(function (option) {
      return option.getAttribute("aria-selected") === "true";
    });
  }

  function open(p) {
    p.list.hidden = false;
    p.input.setAttribute("aria-expanded", "true");
  }

  function close(p) {
    p.list.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function highlight(p, index) {
    var items = options(p);
    if (!items.length) return;
    if (index < 0) index = items.length - 1;
    if (index >= items.length) index = 0;
    items.forEach(function (item, i) {
      var on = i === index;
      item.setAttribute("aria-selected", on ? "true" : "false");
      item.classList.toggle("is-active", on);
      if (on) item.scrollIntoView({ block: "nearest" });
    });
    p.input.setAttribute("aria-activedescendant", items[index].id);
  }

  function pick(p, option) {
    if (p.value) p.value.value = option.getAttribute("data-id");
    p.input.value = option.getAttribute("data-label");
    p.picker.classList.add("picker--picked");
    close(p);
    p.input.focus();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.matches || !target.matches("[data-picker-list]")) return;
    var p = parts(target);
    if (!p) return;
    if (p.input.value.trim() && document.activeElement === p.input) {
      open(p);
    } else {
      close(p);
    }
  });

  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-picker-input]")) return;
    var p = parts(event.target);
    if (p.value) p.value.value = "";
    p.picker.classList.remove("picker--picked");
    if (!p.input.value.trim()) close(p);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-picker-input]")) return;
    var p = parts(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options(p).length) return;
      event.preventDefault();
      open(p);
      highlight(p, activeIndex(p) + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      var index = activeIndex(p);
      if (!p.list.hidden && index >= 0) {
        event.preventDefault();
        pick(p, options(p)[index]);
      }
      // Otherwise the form is posted and the typed name is looked up.
    } else if (event.key === "Escape" && !p.list.hidden) {
      event.preventDefault();
      close(p);
    }
  });

  document.addEventListener("mousedown", function (event) {
    // mousedown, not click: the input keeps its focus while an option is chosen.
    var option = event.target.closest ? event.target.closest("[data-picker-option]") : null;
    if (!option) return;
    event.preventDefault();
    pick(parts(option), option);
  });

  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-picker]").forEach(function (picker) {
      if (picker.contains(event.target)) return;
      var p = parts(picker);
      if (p && !p.list.hidden) close(p);
    });
  });

  document.addEventListener("focusout", function (event) {
    var p = parts(event.target);
    if (p && event.relatedTarget && !p.picker.contains(event.relatedTarget)) close(p);
  });
})();
