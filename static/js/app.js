/*
 * Small behaviours of the app shell, by event delegation so htmx-swapped content needs no
 * re-binding. Pages work without this file: the sidebar then stays in the page flow and the
 * menus are plain <details> elements.
 *
 * - [data-nav-toggle] opens/closes the narrow-screen navigation drawer ([data-app]);
 *   [data-nav-close] and Escape close it.
 * - <details data-menu> closes on Escape and on a click outside it.
 */
(function () {
  "use strict";

  const narrow = window.matchMedia("(max-width: 56rem)");

  function app() {
    return document.querySelector("[data-app]");
  }

  function toggleButton() {
    return document.querySelector("[data-nav-toggle]");
  }

  function setNavOpen(open) {
    const root = app();
    const button = toggleButton();
    if (!root) return;
    root.toggleAttribute("data-nav-open", open);
    const backdrop = root.querySelector(".app__backdrop");
    if (backdrop) backdrop.hidden = !open;
    if (button) button.setAttribute("aria-expanded", String(open));
    if (open) {
      const first = document.querySelector("#sidebar a, #sidebar button");
      if (first) first.focus();
    }
  }

  function navIsOpen() {
    const root = app();
    return Boolean(root && root.hasAttribute("data-nav-open"));
  }

  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-nav-toggle]")) {
      setNavOpen(!navIsOpen());
      return;
    }
    if (target.closest("[data-nav-close]")) {
      setNavOpen(false);
      const button = toggleButton();
      if (button) button.focus();
      return;
    }
    closeMenus(target.closest("details[data-menu]"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const openMenu = document.querySelector("details[data-menu][open]");
    if (openMenu) {
      openMenu.open = false;
      const summary = openMenu.querySelector("summary");
      if (summary) summary.focus();
      return;
    }
    if (navIsOpen()) {
      setNavOpen(false);
      const button = toggleButton();
      if (button) button.focus();
    }
  });

  // Widening the window past the breakpoint leaves no drawer state behind.
  narrow.addEventListener("change", function (event) {
    if (!event.matches && navIsOpen()) setNavOpen(false);
  });
})();
