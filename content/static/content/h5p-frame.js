/*
 * Runs inside the sandboxed player iframe (opaque origin), before h5p-standalone loads.
 * See docs/H5P-PLAYER.md for why each step is needed:
 * 1. Web Storage throws SecurityError in an opaque origin and the player reads it while
 *    starting, so localStorage/sessionStorage are replaced by in-memory objects first.
 * 2. The player renders with embedType "div" (a nested about:blank frame stays empty in a
 *    sandbox).
 * 3. xAPI statements, saved state and the content's height go to the lesson page with
 *    postMessage, tagged with the per-launch nonce the lesson page put in our URL's
 *    fragment; the lesson page (with the learner's session) sends them on.
 */
(function () {
  "use strict";

  function MemoryStorage() {
    var items = {};
    var api = {
      getItem: function (key) {
        key = String(key);
        return Object.prototype.hasOwnProperty.call(items, key) ? items[key] : null;
      },
      setItem: function (key, value) { items[String(key)] = String(value); },
      removeItem: function (key) { delete items[String(key)]; },
      clear: function () { items = {}; },
      key: function (index) { var keys = Object.keys(items); return index < keys.length ? keys[index] : null; }
    };
    Object.defineProperty(api, "length", { get: function () { return Object.keys(items).length; } });
    return api;
  }

  ["localStorage", "sessionStorage"].forEach(function (name) {
    var usable = false;
    try {
      var store = window[name];
      store.setItem("__asn_probe", "1");
      store.removeItem("__asn_probe");
      usable = true;
    } catch (error) {
      usable = false;
    }
    if (!usable) {
      Object.defineProperty(window, name, { value: new MemoryStorage(), configurable: true });
    }
  });

  var config = JSON.parse(document.getElementById("h5p-config").textContent);
  var nonce = (/(?:^|[#&])nonce=([A-Za-z0-9_-]+)/.exec(window.location.hash) || [])[1] || "";
  var parentOrigin = config.parentOrigin;
  var started = false;
  var lastState = null;

  function post(message) {
    if (window.parent === window) { return; }
    message.source = "asn-h5p";
    message.nonce = nonce;
    message.contentId = config.contentId;
    window.parent.postMessage(message, parentOrigin);
  }

  function showError(error) {
    var box = document.getElementById("h5p-error");
    if (box) { box.hidden = false; }
    post({ type: "error", message: String((error && error.message) || error) });
    if (window.console) { console.error("H5P player failed to start", error); }
  }

  function currentState() {
    var instance = window.H5P && window.H5P.instances && window.H5P.instances[0];
    if (!instance || typeof instance.getCurrentState !== "function") { return undefined; }
    try {
      var state = instance.getCurrentState();
      return state === undefined ? undefined : JSON.stringify(state);
    } catch (error) {
      return undefined;
    }
  }

  function pushState() {
    var state = currentState();
    if (state !== undefined && state !== lastState) {
      lastState = state;
      post({ type: "state", state: state });
    }
  }

  function watchSize() {
    var lastHeight = 0;
    function report() {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (height !== lastHeight) {
        lastHeight = height;
        post({ type: "resize", height: height });
      }
    }
    if (window.ResizeObserver) {
      new ResizeObserver(report).observe(document.body);
    }
    window.setInterval(report, 1000);
    report();
  }

  function start(previousState) {
    if (started) { return; }
    started = true;
    if (previousState) { lastState = previousState; }
    var options = {
      id: config.contentId,
      h5pJsonPath: config.h5pJsonPath,
      contentJsonPath: config.contentJsonPath,
      librariesPath: config.librariesPath,
      frameJs: config.frameJs,
      frameCss: config.frameCss,
      embedType: "div",
      xAPIObjectIRI: config.xAPIObjectIRI,
      frame: false,
      copyright: false,
      export: false,
      embed: false,
      icon: false,
      fullScreen: false,
      saveFreq: config.saveFreq,
      // We start H5P ourselves, after the xAPI relay listens, so no statement is missed.
      preventH5PInit: false
    };
    if (previousState) {
      // H5P core's preloaded user data: one object per sub-content id (0 = the whole).
      options.contentUserData = [{ state: previousState }];
    }
    var container = document.getElementById("h5p-container");
    new window.H5PStandalone.H5P(container, options).then(function () {
      window.H5P.externalDispatcher.on("xAPI", function (event) {
        post({ type: "xapi", statement: event.data.statement });
        var verb = event.getVerb && event.getVerb();
        if (verb === "completed" || verb === "answered" || verb === "progressed") {
          window.setTimeout(pushState, 500);
        }
      });
      window.H5P.preventInit = false;
      window.H5P.init();
      post({ type: "loaded" });
      watchSize();
      window.setInterval(pushState, Math.max(5, config.saveFreq || 30) * 1000);
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "hidden") { pushState(); }
      });
    }).catch(showError);
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== parentOrigin) { return; }
    var data = event.data || {};
    if (data.source !== "asn-h5p-lesson" || data.nonce !== nonce) { return; }
    if (data.type === "init") { start(typeof data.state === "string" ? data.state : null); }
    if (data.type === "save-now") { pushState(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.parent === window) {
      start(null);
      return;
    }
    post({ type: "ready" });
    // Without an answer (no saved-state service), start fresh rather than stay blank.
    window.setTimeout(function () { start(null); }, 4000);
  });
})();
