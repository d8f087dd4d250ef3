/* plansmith: small progressive enhancements. Every page works without this script. */
(function () {
  "use strict";

  /* The Menu button opens and closes the main navigation on a phone (CSS hides the button on
     wider screens, where the navigation is always shown). */
  function menu() {
    var button = document.querySelector(".topbar .menu-toggle");
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) return;
    function set(open) {
      nav.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        set(false);
        button.focus();
      }
    });
  }

  /* A table that scrolls sideways inside its box can be scrolled with the keyboard: the box
     takes focus while its content is wider than it is. */
  function scrollers() {
    var boxes = document.querySelectorAll(".table-scroll, main table:not(.stack)");
    function update() {
      for (var i = 0; i < boxes.length; i++) {
        var box = boxes[i];
        if (box.scrollWidth > box.clientWidth + 1) {
          box.setAttribute("tabindex", "0");
          if (box.tagName !== "TABLE" && !box.hasAttribute("role")) {
            box.setAttribute("role", "region");
          }
          if (!box.hasAttribute("aria-label")) {
            var table = box.tagName === "TABLE" ? box : box.querySelector("table");
            var caption = table && table.querySelector("caption");
            var named = table && table.getAttribute("aria-labelledby");
            var heading = named && document.getElementById(named);
            var label = (caption || heading || {}).textContent;
            if (label) box.setAttribute("aria-label", label.trim());
          }
        } else if (box.getAttribute("tabindex") === "0") {
          box.removeAttribute("tabindex");
        }
      }
    }
    update();
    window.addEventListener("resize", update);
  }

  function start() {
    menu();
    scrollers();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
