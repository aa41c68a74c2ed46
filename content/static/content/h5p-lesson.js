/*
 * Runs on the lesson page. Mounts every H5P block (.h5p-mount, rendered by the courses
 * app's block template) as a sandboxed iframe of the player page, and relays what the
 * player reports:
 * - xAPI statements are given an id (so a resend is stored once), kept in an outbox in
 *   localStorage and POSTed to the statements endpoint with the learner's session and
 *   CSRF token; unsent ones are resent on the next page load and when the browser comes
 *   back online (learners in eastern Indonesia often lose the connection);
 * - saved state (H5P contentUserData) is read before the player starts and written when
 *   it changes, through the xAPI State resource;
 * - the content's height, so the iframe never scrolls inside the page.
 * Messages are accepted only from the iframe we created and only with its launch nonce:
 * a sandboxed iframe's origin is "null", which any other sandboxed frame shares.
 * While statements wait in the outbox after a failed send (no network, or the server
 * answering 5xx while the database or storage is down), a small notice says they are
 * kept on the device and will be sent again; it goes away once they are delivered.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var settings = {
    statementsUrl: (script && script.dataset.statementsUrl) || "/xapi/statements",
    stateUrl: (script && script.dataset.stateUrl) || "/xapi/activities/state",
    activityIriBase: (script && script.dataset.activityIriBase) || (window.location.origin + "/xapi/activities/h5p/"),
    lessonIri: (script && script.dataset.lessonIri) || "",
    contentOrigin: (script && script.dataset.contentOrigin) || "",
    stateId: "h5p-content-user-data"
  };
  var OUTBOX_KEY = "asn-lms:xapi-outbox";
  var BATCH_SIZE = 25;
  var players = [];
  var memoryOutbox = [];
  var sending = false;
  var retryDelay = 2000;
  var lang = (document.documentElement.lang || "id").slice(0, 2);
  var keptLabel = (script && script.dataset.labelKept) || (lang === "en"
    ? "Your answers are kept on this device and will be sent again."
    : "Jawaban disimpan di perangkat ini dan akan dikirim ulang.");
  var notice = null;
  var failedOnce = false;

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function nonceValue() { return uuid4().replace(/-/g, ""); }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function headers(json) {
    var result = { "X-CSRFToken": csrfToken(), "X-Experience-API-Version": "1.0.3" };
    if (json) { result["Content-Type"] = "application/json"; }
    return result;
  }

  // --- the outbox --------------------------------------------------------------------------

  function loadOutbox() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(OUTBOX_KEY) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (error) {
      return memoryOutbox.slice();
    }
  }

  function saveOutbox(list) {
    memoryOutbox = list.slice();
    try { window.localStorage.setItem(OUTBOX_KEY, JSON.stringify(list)); } catch (error) { /* private mode: memory only */ }
    showNotice(list);
  }

  function showNotice(list) {
    var pending = list.length > 0 && failedOnce;
    if (!pending) {
      if (notice) { notice.hidden = true; }
      return;
    }
    if (!notice) {
      notice = document.createElement("p");
      notice.className = "xapi-kept-notice";
      notice.setAttribute("role", "status");
      notice.setAttribute("data-kept-notice", "");
      notice.textContent = keptLabel;
      // Unobtrusive: a small bar at the bottom that covers nothing the learner must reach.
      var style = notice.style;
      style.position = "fixed";
      style.left = "0.5rem";
      style.right = "0.5rem";
      style.bottom = "0.5rem";
      style.margin = "0";
      style.padding = "0.5rem 0.75rem";
      style.background = "#fff8e1";
      style.border = "1px solid #e0c36a";
      style.borderRadius = "0.4rem";
      style.fontSize = "0.9rem";
      style.zIndex = "1000";
      document.body.appendChild(notice);
    }
    notice.hidden = false;
  }

  function dropFromOutbox(ids) {
    saveOutbox(loadOutbox().filter(function (statement) { return ids.indexOf(statement.id) === -1; }));
  }

  function enqueue(statement) {
    if (!statement || typeof statement !== "object") { return; }
    if (!statement.id) { statement.id = uuid4(); }
    if (!statement.timestamp) { statement.timestamp = new Date().toISOString(); }
    if (settings.lessonIri) {
      // The lesson decides course, access and completion for the record store. It goes in
      // "grouping": "parent" is how H5P marks a statement about a part of the activity.
      statement.context = statement.context || {};
      var activities = statement.context.contextActivities = statement.context.contextActivities || {};
      var grouping = activities.grouping ? [].concat(activities.grouping) : [];
      if (!grouping.some(function (item) { return item && item.id === settings.lessonIri; })) {
        grouping.push({ id: settings.lessonIri, objectType: "Activity" });
      }
      activities.grouping = grouping;
    }
    var outbox = loadOutbox();
    outbox.push(statement);
    saveOutbox(outbox);
    flush();
  }

  function send(batch) {
    return window.fetch(settings.statementsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: headers(true),
      body: JSON.stringify(batch.length === 1 ? batch[0] : batch)
    });
  }

  function flush() {
    if (sending || !navigator.onLine && navigator.onLine !== undefined) { return; }
    var batch = loadOutbox().slice(0, BATCH_SIZE);
    if (!batch.length) { return; }
    sending = true;
    var ids = batch.map(function (statement) { return statement.id; });
    send(batch).then(function (response) {
      sending = false;
      // 409: already stored. Other 4xx (but not auth or rate limits): the endpoint will
      // never accept it; keep the rest moving.
      var permanent = response.status >= 400 && response.status < 500 &&
        [401, 403, 408, 429].indexOf(response.status) === -1;
      if (response.ok || response.status === 409) {
        dropFromOutbox(ids);
        retryDelay = 2000;
        flush();
      } else if (permanent && batch.length > 1) {
        // One bad statement must not hold back the others: send them one by one.
        sendOneByOne(batch);
      } else if (permanent) {
        if (window.console) { console.warn("xAPI statement refused", response.status, batch[0]); }
        dropFromOutbox(ids);
        flush();
      } else {
        retryLater();
      }
    }).catch(function () {
      sending = false;
      retryLater();
    });
  }

  function sendOneByOne(batch) {
    sending = true;
    var next = batch.shift();
    if (!next) { sending = false; flush(); return; }
    send([next]).then(function (response) {
      var permanent = response.status >= 400 && response.status < 500 &&
        [401, 403, 408, 429].indexOf(response.status) === -1;
      if (response.ok || response.status === 409 || permanent) {
        dropFromOutbox([next.id]);
        sendOneByOne(batch);
      } else {
        sending = false;
        retryLater();
      }
    }).catch(function () { sending = false; retryLater(); });
  }

  function retryLater() {
    failedOnce = true;
    showNotice(loadOutbox());
    window.setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  // --- saved state ---------------------------------------------------------------------------

  function stateUrl(player) {
    return settings.stateUrl + "?activityId=" + encodeURIComponent(settings.activityIriBase + player.contentId) +
      "&stateId=" + encodeURIComponent(settings.stateId);
  }

  function loadState(player) {
    return window.fetch(stateUrl(player), { credentials: "same-origin", headers: headers(false) })
      .then(function (response) { return response.ok ? response.text() : null; })
      .catch(function () { return null; });
  }

  function saveState(player, state) {
    return window.fetch(stateUrl(player), {
      method: "PUT",
      credentials: "same-origin",
      headers: headers(true),
      body: state,
      keepalive: state.length < 60000
    }).catch(function () { /* the next save carries the same state again */ });
  }

  // --- players -------------------------------------------------------------------------------

  function targetOrigin(player) {
    // An opaque (sandboxed) origin cannot be named; only our own frame holds the nonce.
    return player.crossOrigin ? player.origin : "*";
  }

  function tell(player, message) {
    message.source = "asn-h5p-lesson";
    message.nonce = player.nonce;
    player.iframe.contentWindow.postMessage(message, targetOrigin(player));
  }

  function mount(element) {
    if (element.getAttribute("data-h5p-mounted")) { return; }
    element.setAttribute("data-h5p-mounted", "1");
    var launchUrl = new URL(element.getAttribute("data-h5p-launch-url"), window.location.href);
    var player = {
      element: element,
      contentId: element.getAttribute("data-h5p-content-id"),
      nonce: nonceValue(),
      iframe: document.createElement("iframe"),
      crossOrigin: Boolean(settings.contentOrigin),
      origin: settings.contentOrigin,
      initialised: false
    };
    var section = element.closest("section");
    player.iframe.title = (section && section.getAttribute("aria-label")) || "H5P";
    // No allow-same-origin: H5P library code is the package author's, not ours. With a
    // separate content origin the frame's own origin is already not the site's.
    player.iframe.setAttribute("sandbox", player.crossOrigin ? "allow-scripts allow-same-origin" : "allow-scripts");
    player.iframe.setAttribute("referrerpolicy", "no-referrer");
    player.iframe.className = "h5p-player-frame";
    player.iframe.style.width = "100%";
    player.iframe.style.minHeight = "200px";
    player.iframe.style.border = "0";
    launchUrl.hash = "nonce=" + player.nonce;
    player.iframe.src = launchUrl.href;
    element.setAttribute("data-h5p-status", "loading");
    element.appendChild(player.iframe);
    players.push(player);
  }

  function playerFor(event) {
    for (var i = 0; i < players.length; i += 1) {
      if (players[i].iframe.contentWindow === event.source) { return players[i]; }
    }
    return null;
  }

  window.addEventListener("message", function (event) {
    var player = playerFor(event);
    if (!player) { return; }
    var expectedOrigin = player.crossOrigin ? player.origin : "null";
    var data = event.data || {};
    if (event.origin !== expectedOrigin || data.source !== "asn-h5p" || data.nonce !== player.nonce) { return; }
    switch (data.type) {
      case "ready":
        if (player.initialised) { return; }
        player.initialised = true;
        loadState(player).then(function (state) { tell(player, { type: "init", state: state || null }); });
        break;
      case "loaded":
        player.element.setAttribute("data-h5p-status", "loaded");
        break;
      case "error":
        player.element.setAttribute("data-h5p-status", "error");
        break;
      case "resize":
        if (typeof data.height === "number" && data.height > 0 && data.height < 20000) {
          player.iframe.style.height = data.height + "px";
        }
        break;
      case "xapi":
        enqueue(data.statement);
        break;
      case "state":
        if (typeof data.state === "string" && data.state.length < 1000000) { saveState(player, data.state); }
        break;
      default:
        break;
    }
  });

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".h5p-mount[data-h5p-launch-url]"), mount);
    // Statements an earlier visit could not deliver: say so until they are sent.
    if (loadOutbox().length) {
      failedOnce = true;
      showNotice(loadOutbox());
    }
    flush();
  }

  window.addEventListener("online", flush);
  window.addEventListener("pagehide", function () {
    players.forEach(function (player) { if (player.initialised) { tell(player, { type: "save-now" }); } });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
