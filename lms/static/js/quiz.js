/* The quiz attempt page: saves each answer as it is given (fetch POST JSON with the CSRF
 * header), shows "Saved" / "Could not save" per question, retries when the connection
 * comes back, and counts down the time the server gave. Without JavaScript the page's
 * form still saves and submits everything. No framework.
 *
 * Answers not yet confirmed by the server are kept in localStorage (per attempt, keyed by
 * question position), so a failed save (no network, the server answering 5xx while the
 * database or storage is down) survives closing the page: on the next load they are put
 * back into the form and sent again. Each answer is the whole answer to its question, so
 * sending it twice changes nothing. */
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

    // --- answers kept on the device until the server has them ------------------------------
    var OUTBOX_KEY = "asn-lms:quiz-outbox:" + url;
    var OUTBOX_MAX_AGE = 7 * 24 * 3600 * 1000;
    var lang = (document.documentElement.lang || "id").slice(0, 2);
    var keptLabel = root.getAttribute("data-label-kept") || (lang === "en"
        ? "Your answers are kept on this device and will be sent again."
        : "Jawaban disimpan di perangkat ini dan akan dikirim ulang.");
    var notice = null;
    var failedOnce = false;

    function loadOutbox() {
        try {
            var stored = JSON.parse(window.localStorage.getItem(OUTBOX_KEY) || "null");
            if (stored && stored.answers && Date.now() - stored.savedAt < OUTBOX_MAX_AGE) {
                return stored.answers;
            }
        } catch (error) { /* no storage (private mode): answers live in memory only */ }
        return {};
    }

    function saveOutbox(answers) {
        try {
            if (Object.keys(answers).length) {
                window.localStorage.setItem(OUTBOX_KEY, JSON.stringify({savedAt: Date.now(), answers: answers}));
            } else {
                window.localStorage.removeItem(OUTBOX_KEY);
            }
        } catch (error) { /* quota or private mode: keep going without the device copy */ }
        showNotice(answers);
    }

    function keep(n, response) {
        var answers = loadOutbox();
        answers[n] = response;
        saveOutbox(answers);
    }

    function forget(n, response) {
        var answers = loadOutbox();
        // Only if it is still the answer that was sent: a newer one waits its turn.
        if (answers.hasOwnProperty(n) && JSON.stringify(answers[n]) === JSON.stringify(response)) {
            delete answers[n];
            saveOutbox(answers);
        }
    }

    function showNotice(answers) {
        var pending = Object.keys(answers).length > 0 && failedOnce;
        if (!pending) {
            if (notice) { notice.hidden = true; }
            return;
        }
        if (!notice) {
            notice = document.createElement("p");
            notice.className = "quiz-kept-notice";
            notice.setAttribute("role", "status");
            notice.setAttribute("data-kept-notice", "");
            notice.textContent = keptLabel;
            root.insertBefore(notice, root.firstChild);
        }
        notice.hidden = false;
    }

    function restore(fieldset, response) {
        var kind = fieldset.getAttribute("data-kind");
        var prefix = "q" + fieldset.getAttribute("data-question") + "-";
        var pick = function (name, value) {
            fieldset.querySelectorAll("input[name='" + prefix + name + "']").forEach(function (el) {
                el.checked = el.value === String(value);
            });
        };
        if (!response || typeof response !== "object") { return; }
        if (kind === "single") { pick("choice", response.choice); }
        else if (kind === "truefalse") { pick("value", response.value); }
        else if (kind === "multiple") {
            var chosen = (response.choices || []).map(String);
            fieldset.querySelectorAll("input[name='" + prefix + "choices']").forEach(function (el) {
                el.checked = chosen.indexOf(el.value) !== -1;
            });
        } else if (kind === "short" || kind === "numeric") {
            var input = fieldset.querySelector("input[name='" + prefix + (kind === "short" ? "text" : "value") + "']");
            if (input) { input.value = response[kind === "short" ? "text" : "value"]; }
        } else if (kind === "matching") {
            Object.keys(response.pairs || {}).forEach(function (key) {
                var select = fieldset.querySelector("select[name='" + prefix + "pair-" + key + "']");
                if (select) { select.value = response.pairs[key]; }
            });
        } else if (kind === "ordering") {
            (response.order || []).forEach(function (item, index) {
                var select = fieldset.querySelector("select[data-order-item='" + item + "']");
                if (select) { select.value = String(index + 1); }
            });
        }
    }

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
        keep(n, response);
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
                forget(n, response);
                status(fieldset, labels.saved, "ok");
                if (typeof result.body.seconds_left === "number") { countdown(result.body.seconds_left); }
            } else if (result.status === 409) {
                finished = true;
                saveOutbox({});  // the attempt is over: nothing more will be taken
                window.location.href = result.body.review_url || window.location.href;
                return;
            } else if (result.status >= 400 && result.status < 500) {
                // The server refused this answer (it does not fit): say why; no retry.
                forget(n, response);
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
        failedOnce = true;
        showNotice(loadOutbox());
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
    // Answers a previous visit could not deliver: back into the form, then sent again.
    var pending = loadOutbox();
    if (Object.keys(pending).length) {
        failedOnce = true;
        Object.keys(pending).forEach(function (n) {
            var fieldset = root.querySelector("[data-question='" + n + "']");
            if (!fieldset) { return; }
            restore(fieldset, pending[n]);
            save(fieldset);
        });
        showNotice(loadOutbox());
    }

    var initial = root.getAttribute("data-seconds-left");
    if (initial !== null) { countdown(parseInt(initial, 10)); }
    form.addEventListener("submit", function () { finished = true; });
})();
