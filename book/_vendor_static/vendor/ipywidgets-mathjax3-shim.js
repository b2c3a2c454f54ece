/*
 * @jupyter-widgets/html-manager 1.x (ipywidgets 8) typesets widget labels/descriptions with the
 * MathJax *2* API: `if (window.MathJax !== undefined) MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])`.
 * Sphinx/Jupyter Book load MathJax *3* (no `Hub`), so every widget with a description throws
 * "Cannot read properties of undefined (reading 'Queue')" and rendering of the widget aborts.
 * This shim adds a minimal `MathJax.Hub.Queue` that forwards to MathJax 3's typesetPromise.
 * It runs on DOMContentLoaded, i.e. after the deferred MathJax 3 script has replaced
 * window.MathJax, and before the embedder renders widgets (on window "load").
 */
(function () {
  function install() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.version || String(mj.version).charAt(0) !== "3") return;
    mj.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var cmd = arguments[i];
          var el = Array.isArray(cmd) ? cmd[2] : undefined;
          if (!el) continue;
          var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
          ready
            .then(function (node) { return function () { return mj.typesetPromise ? mj.typesetPromise([node]) : null; }; }(el))
            .catch(function (err) { console.warn("MathJax typeset in widget failed:", err); });
        }
      },
    };
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", install);
  } else {
    install();
  }
})();
