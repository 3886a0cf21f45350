// Render the math of pymdownx.arithmatex (generic mode) with the bundled KaTeX:
// no network access is needed.  Runs on every page load, including the
// instant-navigation page changes of mkdocs-material (document$).
(function () {
  function render(root) {
    if (typeof renderMathInElement === "undefined") { return; }
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "\\[", right: "\\]", display: true },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false
      });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (arg) { render(arg && arg.body ? arg.body : document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { render(document.body); });
  }
})();
