/* The quiz attempt page: saves each answer as it is given (fetch POST JSON with the CSRF
 * header), shows "Saved" / "Could not save" per question, retries when the connection
 * comes back, and counts down the time the server gave. Without JavaScript the page's
 * form still saves and submits everything. No framework. */
(function () {
    "use strict";
    var root = document.querySelector("[data-quiz-attempt]");
    if (!root) { return; }
    var form = root.querySelector("[data-quiz-form]");
    var url = root.getAttribute("data-answer-url");
    var labels = {
        saving: root.getAttribute("data-label-saving"),
        saved: root.getAttribute("data-label-saved"),
        failed: root.getAttribute("data-label-failed"),
        offline: root.getAttribute("data-label-offline"),
        timeLeft: root.getAttribute("data-label-time-left"),
        timeUp: root.getAttribute("data-label-time-up"),
        order: root.getAttribute("data-label-order")
    };
    var csrf = (form.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
    var state = {};  // position -> {busy, dirty, timer, tries}
    var finished = false;

    function status(fieldset, text, kind) {
        var el = fieldset.querySelector("[data-status]");
        el.textContent = text;
        el.className = "quiz-status" + (kind ? " " + kind : "");
    }

    function responseOf(fieldset) {
        var kind = fieldset.getAttribute("data-kind");
        var n = fieldset.getAttribute("data-question");
        var prefix = "q" + n + "-";
        var checked = function (name) {
            var el = fieldset.querySelector("input[name='" + prefix + name + "']:checked");
            return el ? el.value : null;
        };
        if (kind === "single") { return {choice: checked("choice")}; }
        if (kind === "truefalse") {
            var v = checked("value");
            return {value: v === null ? null : v === "true"};
        }
        if (kind === "multiple") {
            var boxes = fieldset.querySelectorAll("input[name='" + prefix + "choices']:checked");
            return {choices: Array.prototype.map.call(boxes, function (b) { return b.value; })};
        }
        if (kind === "short") { return {text: fieldset.querySelector("input[name='" + prefix + "text']").value}; }
        if (kind === "numeric") { return {value: fieldset.querySelector("input[name='" + prefix + "value']").value}; }
        if (kind === "matching") {
            var pairs = {};
            fieldset.querySelectorAll("select").forEach(function (s) {
                pairs[s.name.slice((prefix + "pair-").length)] = s.value;
            });
            return {pairs: pairs};
        }
        if (kind === "ordering") {
            var chosen = [], used = {}, blank = 0, clash = false;
            fieldset.querySelectorAll("select[data-order-item]").forEach(function (s) {
                if (!s.value) { blank += 1; return; }
                if (used[s.value]) { clash = true; }
                used[s.value] = true;
                chosen.push([parseInt(s.value, 10), s.getAttribute("data-order-item")]);
            });
            if (chosen.length === 0) { return {order: []}; }
            if (blank || clash) { return undefined; }  // not a whole order yet
            chosen.sort(function (a, b) { return a[0] - b[0]; });
            return {order: chosen.map(function (c) { return c[1]; })};
        }
        return null;
    }

    function save(fieldset) {
        var n = parseInt(fieldset.getAttribute("data-question"), 10);
        var s = state[n] || (state[n] = {busy: false, dirty: false, timer: null, tries: 0});
        if (finished) { return; }
        if (s.busy) { s.dirty = true; return; }
        var response = responseOf(fieldset);
        if (response === undefined) { status(fieldset, labels.order, "error"); return; }
        s.busy = true;
        s.dirty = false;
        status(fieldset, labels.saving, "");
        fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({position: n, response: response})
        }).then(function (r) {
            return r.json().catch(function () { return {}; }).then(function (body) {
                return {status: r.status, body: body};
            });
        }).then(function (result) {
            s.busy = false;
            if (result.status === 200) {
                s.tries = 0;
                status(fieldset, labels.saved, "ok");
                if (typeof result.body.seconds_left === "number") { countdown(result.body.seconds_left); }
            } else if (result.status === 409) {
                finished = true;
                window.location.href = result.body.review_url || window.location.href;
                return;
            } else if (result.status >= 400 && result.status < 500) {
                // The server refused this answer (it does not fit): say why; no retry.
                status(fieldset, result.body.error || labels.failed, "error");
            } else {
                retry(fieldset, s);
                return;
            }
            if (s.dirty) { save(fieldset); }
        }).catch(function () {
            s.busy = false;
            retry(fieldset, s);
        });
    }

    function retry(fieldset, s) {
        status(fieldset, navigator.onLine === false ? labels.offline : labels.failed, "error");
        s.dirty = true;
        s.tries += 1;
        clearTimeout(s.timer);
        s.timer = setTimeout(function () { s.dirty = false; save(fieldset); },
            Math.min(30000, 1000 * Math.pow(2, s.tries)));
    }

    window.addEventListener("online", function () {
        Object.keys(state).forEach(function (n) {
            if (state[n].dirty && !state[n].busy) {
                clearTimeout(state[n].timer);
                save(root.querySelector("[data-question='" + n + "']"));
            }
        });
    });

    root.querySelectorAll("[data-question]").forEach(function (fieldset) {
        var typing = null;
        fieldset.addEventListener("change", function () { save(fieldset); });
        fieldset.addEventListener("input", function (event) {
            if (event.target.type !== "text") { return; }
            clearTimeout(typing);
            typing = setTimeout(function () { save(fieldset); }, 800);
        });
    });

    // The countdown: the server says how many seconds are left; the phone's clock only
    // measures the time since, so a wrong clock cannot shorten or lengthen the attempt.
    var timer = root.querySelector("[data-timer]");
    var endsAt = null, ticking = null;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
        var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
        var h = Math.floor(left / 3600), m = Math.floor(left / 60) % 60, sec = left % 60;
        timer.textContent = labels.timeLeft + ": " + (h ? h + ":" + two(m) : m) + ":" + two(sec);
        timer.classList.toggle("urgent", left <= 60);
        if (left === 0 && !finished) {
            finished = true;
            clearInterval(ticking);
            timer.textContent = labels.timeUp;
            var submit = form.querySelector("[data-submit]");
            form.action = submit.getAttribute("formaction");
            form.submit();
        }
    }
    function countdown(seconds) {
        if (!timer) { return; }
        endsAt = Date.now() + seconds * 1000;
        if (!ticking) { ticking = setInterval(tick, 1000); }
        tick();
    }
    var initial = root.getAttribute("data-seconds-left");
    if (initial !== null) { countdown(parseInt(initial, 10)); }
    form.addEventListener("submit", function () { finished = true; });
})();
