(function () {
  "use strict";
  var root = document.documentElement;
  function setLang(lang) {
    root.setAttribute("lang", lang);
    if (history.replaceState) { history.replaceState(null, "", lang === "en" ? "#en" : "#vi"); }
  }
  if (location.hash === "#en") { setLang("en"); }
  document.getElementById("lang-toggle").addEventListener("click", function () {
    setLang(root.getAttribute("lang") === "vi" ? "en" : "vi");
  });
})();
