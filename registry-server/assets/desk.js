// The web desk's script: busy states for long actions, the scan field's focus, and the
// smart-card buttons that talk to the desk's own card-agent (`card-agent serve`) on the
// loopback interface. Loaded from /desk/assets/ (the CSP admits no inline script). Every
// text it shows comes from data-* attributes the server rendered in the page's language,
// and is set with textContent, never as HTML.
"use strict";

(function () {
  // Long actions: a submitted form marks its button busy, shows its progress element, and
  // ignores a second submission (the server is idempotent anyway).
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.setAttribute("aria-busy", "true");
      });
      var progress = form.querySelector("progress");
      if (progress) {
        progress.hidden = false;
      }
    });
  });

  // A download that takes a while (the card's PDF): fetched by the script so the link can
  // show it is busy, then handed to the browser as a file.
  document.querySelectorAll("a[data-busy-link]").forEach(function (link) {
    var progress = link.parentNode.querySelector("progress");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") {
        return;
      }
      link.setAttribute("aria-busy", "true");
      if (progress) {
        progress.hidden = false;
      }
      fetch(link.href, { credentials: "same-origin" })
        .then(function (resp) {
          if (!resp.ok) {
            throw new Error(String(resp.status));
          }
          return resp.blob();
        })
        .then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = document.createElement("a");
          a.href = url;
          a.download = link.getAttribute("download") || "card.pdf";
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        })
        .catch(function () {
          // Let the browser show the server's explanation page instead.
          window.location.href = link.href;
        })
        .finally(function () {
          link.setAttribute("aria-busy", "false");
          if (progress) {
            progress.hidden = true;
          }
        });
    });
  });

  // The scanner types the QR text and presses Enter: Enter submits the field's form.
  var scan = document.getElementById("scan-qr");
  if (scan) {
    scan.focus();
    scan.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        if (scan.value.trim() !== "") {
          scan.form.requestSubmit();
        }
      }
    });
  }

  var sc = document.getElementById("smartcard");
  if (!sc) {
    return;
  }
  var portInput = document.getElementById("sc-port");
  var codeInput = document.getElementById("sc-pairing");
  var output = document.getElementById("sc-output");
  var hint = document.getElementById("sc-start");
  var progress = document.getElementById("sc-progress");
  portInput.value = localStorage.getItem("cardAgentPort") || "47311";
  codeInput.value = localStorage.getItem("cardAgentPairing") || "";
  document.getElementById("sc-save").addEventListener("click", function () {
    localStorage.setItem("cardAgentPort", portInput.value.trim());
    localStorage.setItem("cardAgentPairing", codeInput.value.trim());
  });
  document.getElementById("sc-command").textContent =
    "card-agent serve --origin " + window.location.origin;

  function message(code) {
    var key = "msg" + code.split("_").map(function (w) {
      return w.charAt(0).toUpperCase() + w.slice(1);
    }).join("");
    return sc.dataset[key] || sc.dataset.msgUnknownError;
  }

  // Parts joined with each one isolated (U+2068 ... U+2069), so a serial or a date keeps
  // its own order inside an Arabic sentence.
  function isolated(parts) {
    return parts.filter(function (p) { return p; }).map(function (p) {
      return "\u2068" + p + "\u2069";
    }).join(" · ");
  }

  function show(text, isError) {
    output.textContent = text;
    output.className = isError ? "alert error" : "alert ok";
    output.hidden = false;
  }

  function busy(button, on) {
    sc.setAttribute("aria-busy", on ? "true" : "false");
    button.setAttribute("aria-busy", on ? "true" : "false");
    button.disabled = on;
    progress.hidden = !on;
  }

  function agent(path, body) {
    var port = (portInput.value.trim() || "47311").replace(/[^0-9]/g, "");
    return fetch("http://127.0.0.1:" + port + path, {
      method: "POST",
      headers: {
        "Authorization": "Pairing " + codeInput.value.trim(),
        "Content-Type": "application/json"
      },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().then(function (json) {
        if (!resp.ok || json.error) {
          var err = new Error(json.error || "unknown_error");
          err.code = json.error || "unknown_error";
          throw err;
        }
        return json;
      });
    });
  }

  function failed(err) {
    if (err && err.code) {
      show(message(err.code), true);
      hint.hidden = true;
    } else {
      // No answer at all: the agent is not running (or not on this port).
      output.hidden = true;
      hint.hidden = false;
    }
  }

  var write = document.getElementById("sc-write");
  if (write) {
    write.addEventListener("click", function () {
      busy(write, true);
      fetch(sc.dataset.cardUrl, { credentials: "same-origin" })
        .then(function (resp) {
          if (!resp.ok) {
            var err = new Error("bad_request");
            err.code = "bad_request";
            throw err;
          }
          return resp.json();
        })
        .then(function (json) { return agent("/v1/card/write", { card: json.card }); })
        .then(function (result) {
          hint.hidden = true;
          show(isolated([sc.dataset.msgWritten, result.serial, result.bytes + " B", result.reader]), false);
        })
        .catch(failed)
        .finally(function () { busy(write, false); });
    });
  }

  var read = document.getElementById("sc-read");
  read.addEventListener("click", function () {
    busy(read, true);
    agent("/v1/card/read")
      .then(function (result) {
        hint.hidden = true;
        // `summary` is the card's summary as `card-agent read --json` gives it.
        var patient = result.summary && result.summary.patient;
        var name = patient && Array.isArray(patient.name_ar) ? patient.name_ar.join(" ") : "";
        var status = sc.dataset["status" + (result.status || "").charAt(0).toUpperCase() +
          (result.status || "").slice(1)] || result.status;
        var parts = [sc.dataset.msgReadOk, name, result.serial, status, result.expires];
        show(isolated(parts), result.status !== "valid");
      })
      .catch(failed)
      .finally(function () { busy(read, false); });
  });
})();
