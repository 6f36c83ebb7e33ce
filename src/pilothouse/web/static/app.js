/*
 * Pilothouse front-end glue.
 *
 * Load as a file, after vendor/htmx.min.js and vendor/chart.umd.min.js:
 *   <script src="/static/vendor/htmx.min.js" defer></script>
 *   <script src="/static/vendor/chart.umd.min.js" defer></script>
 *   <script src="/static/app.js" defer></script>
 *
 * Works under a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval':
 * no eval, no inline handlers, no injected <style> elements. Pages opt in with markup:
 *   <meta name="csrf-token" content="...">          sent as X-CSRF-Token on htmx requests
 *   <canvas data-chart='{"type":"line","data":{...},"options":{...}}'>   Chart.js chart
 *   <form data-confirm="Delete this experiment?">   confirm before submitting
 *   <button hx-delete="..." data-confirm="...">     same, for htmx requests from any element
 */
(function () {
  "use strict";

  var htmx = window.htmx;

  if (htmx) {
    // Keep htmx within a strict CSP: no Function() for hx-on / js: values / event filters,
    // no injected indicator <style> (app.css styles .htmx-indicator instead), and no
    // executing <script> elements that arrive in swapped-in HTML.
    htmx.config.allowEval = false;
    htmx.config.includeIndicatorStyles = false;
    htmx.config.allowScriptTags = false;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  function isSameOrigin(path) {
    try {
      return new URL(path, window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  // CSRF: add the token to every (same-origin) htmx request. Read it on each request so a
  // server that rotates it by swapping the <meta> tag is honoured.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token && isSameOrigin(event.detail.path)) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  // Charts: <canvas data-chart='{...}'> holds a JSON Chart.js config (no callbacks, by design).
  var chartsThemed = false;

  function themeChartDefaults(Chart) {
    chartsThemed = true;
    var style = window.getComputedStyle(document.documentElement);
    var muted = style.getPropertyValue("--pico-muted-color").trim();
    var border = style.getPropertyValue("--pico-muted-border-color").trim();
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    if (muted) {
      Chart.defaults.color = muted;
    }
    if (border) {
      // Grid lines only: changing Chart.defaults.borderColor would switch off the
      // built-in Colors plugin that gives datasets without colours a palette.
      Chart.defaults.scale.grid.color = border;
    }
  }

  function renderCharts(root) {
    var Chart = window.Chart;
    if (!Chart || !root || !root.querySelectorAll) {
      return;
    }
    if (!chartsThemed) {
      themeChartDefaults(Chart);
    }
    var canvases = Array.prototype.slice.call(root.querySelectorAll("canvas[data-chart]"));
    if (root.matches && root.matches("canvas[data-chart]")) {
      canvases.unshift(root);
    }
    canvases.forEach(function (canvas) {
      if (Chart.getChart(canvas)) {
        return; // already rendered
      }
      var config;
      try {
        config = JSON.parse(canvas.getAttribute("data-chart"));
      } catch (error) {
        console.error("pilothouse: data-chart is not valid JSON", canvas, error);
        return;
      }
      if (!config || typeof config !== "object" || !config.type) {
        console.error("pilothouse: data-chart needs at least a \"type\"", canvas);
        return;
      }
      new Chart(canvas, config);
    });
  }

  function destroyChart(element) {
    if (window.Chart && element instanceof HTMLCanvasElement) {
      var chart = window.Chart.getChart(element);
      if (chart) {
        chart.destroy();
      }
    }
  }

  function onReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  onReady(function () {
    renderCharts(document.body);
    // A refused form came back (web/forms.py): bring its error summary into view and
    // focus, so the reason is seen (and read out) even when the form is far down the page.
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.focus();
    }
  });
  // New content swapped in by htmx (rendering is idempotent, so the initial load is harmless).
  document.addEventListener("htmx:load", function (event) {
    renderCharts(event.detail && event.detail.elt ? event.detail.elt : event.target);
  });
  // Release Chart.js resources (resize observers, listeners) when htmx removes a canvas.
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    destroyChart(event.target);
  });

  // Confirm before submit. Capture phase, so a refusal also stops htmx's submit handler.
  // A submit button may carry its own data-confirm (e.g. "Delete" next to "Save").
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      var submitter = event.submitter;
      var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
      var message = source.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // The same for htmx requests issued by non-form elements (hx-delete buttons, links).
  // Forms are left to the submit listener above so the question is asked once.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    if (!element || element instanceof HTMLFormElement) {
      return;
    }
    var message = element.getAttribute("data-confirm");
    if (!message) {
      return;
    }
    event.preventDefault();
    if (window.confirm(message)) {
      event.detail.issueRequest(true);
    }
  });

  // Refused input (422) inside [data-swap-errors] is swapped in like success: the server
  // sends the fragment again with the typed value and the error beside the field.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var element = event.detail.elt;
    if (event.detail.xhr.status === 422 && element && element.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A number box holding letters reads as "" in the browser: posting it would clear the
  // saved value. Say so beside the box instead and send nothing.
  function showCellError(element, text) {
    var note = element.nextElementSibling;
    if (!note || !note.classList.contains("cell-error")) {
      note = document.createElement("small");
      note.className = "cell-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-testid", "cell-error");
      note.id = (element.name || "field") + "-" + Math.random().toString(36).slice(2) + "-error";
      element.insertAdjacentElement("afterend", note);
    }
    note.textContent = text;
    element.setAttribute("aria-invalid", "true");
    element.setAttribute("aria-describedby", note.id);
  }

  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    if (element && element.validity && element.validity.badInput) {
      event.preventDefault();
      showCellError(element, "Type a number; not saved.");
    }
  });

  // Header menus (<details class="dropdown app-menu">): one open at a time; Escape closes
  // the open one and gives focus back to its summary; Tab out of a menu closes it.
  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll("details.app-menu[open]"));
  }

  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.matches && menu.matches("details.app-menu") && menu.open) {
      openMenus().forEach(function (other) {
        if (other !== menu) {
          other.open = false;
        }
      });
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    openMenus().forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) {
        summary.focus();
      }
    });
  });

  document.addEventListener("focusin", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
})();
