/*
 * The dashboard's charts (Chart.js, vendored): pipeline value by stage and new contacts per
 * week (the weeks of the chosen period highlighted). The figures come from the page as JSON
 * (json_script "dashboard-data"); colours come from the stylesheet's custom properties, so
 * dark mode follows. Also submits the pipeline switcher when its select changes (the button
 * stays for no-JS use).
 *
 * The period links and the pipeline switcher swap the whole dashboard through htmx: the old
 * charts are destroyed before the swap and the new figures drawn after it.
 */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function money(value, currency) {
    try {
      return new Intl.NumberFormat(undefined, {
        style: "currency",
        currency: currency,
        maximumFractionDigits: 0,
      }).format(value);
    } catch (error) {
      return Math.round(value).toLocaleString() + " " + currency;
    }
  }

  function shortDate(iso) {
    var parts = iso.split("-");
    var date = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function destroyCharts(root, forSwap) {
    if (typeof window.Chart === "undefined") return;
    root.querySelectorAll("canvas").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
      // htmx copies a swapped-out element's style attribute onto its namesake (same id) while
      // settling: a chart's sizing there would be an inline style, which the CSP refuses.
      if (forSwap) canvas.removeAttribute("style");
    });
  }

  function drawCharts() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") return;
    destroyCharts(document);
    var data = JSON.parse(source.textContent);
    var Chart = window.Chart;
    var text = cssVar("--color-text-muted", "#4b5563");
    var grid = cssVar("--color-border", "#e2e5ea");
    var accent = cssVar("--color-accent", "#4f46e5");
    var soft = cssVar("--color-accent-soft", "#eef0ff");
    var won = cssVar("--color-success", "#067647");
    var lost = cssVar("--color-border-strong", "#c9ced6");
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

    Chart.defaults.color = text;
    Chart.defaults.borderColor = grid;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    if (reduceMotion) Chart.defaults.animation = false;

    var stagesCanvas = document.getElementById("chart-stages");
    if (stagesCanvas && data.stages) {
      var currency = data.stages.currency;
      // Open stages in the accent colour; won and lost stand apart.
      var kinds = data.stages.kinds || [];
      var fill = kinds.map(function (kind) {
        return kind === "won" ? won : kind === "lost" ? lost : accent;
      });
      new Chart(stagesCanvas, {
        type: "bar",
        data: {
          labels: data.stages.labels,
          datasets: [
            {
              label: "Value",
              data: data.stages.values,
              backgroundColor: fill,
              borderRadius: 6,
              maxBarThickness: 56,
            },
            {
              label: "Weighted by probability",
              data: data.stages.weighted,
              backgroundColor: soft,
              borderColor: fill,
              borderWidth: 1,
              borderRadius: 6,
              maxBarThickness: 56,
            },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          plugins: {
            legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
            tooltip: {
              callbacks: {
                label: function (item) {
                  return item.dataset.label + ": " + money(item.parsed.y, currency);
                },
                afterBody: function (items) {
                  var count = data.stages.counts[items[0].dataIndex];
                  return count + " deal" + (count === 1 ? "" : "s");
                },
              },
            },
          },
          scales: {
            x: { grid: { display: false } },
            y: {
              beginAtZero: true,
              ticks: {
                callback: function (value) {
                  return money(value, currency);
                },
              },
            },
          },
        },
      });
    }

    var contactsCanvas = document.getElementById("chart-contacts");
    if (contactsCanvas && data.newContacts) {
      var inPeriod = data.newContacts.inPeriod || [];
      new Chart(contactsCanvas, {
        type: "bar",
        data: {
          labels: data.newContacts.labels.map(shortDate),
          datasets: [
            {
              label: "New contacts",
              data: data.newContacts.counts,
              // The weeks of the chosen period stand out; the weeks before give the trend.
              backgroundColor: data.newContacts.counts.map(function (_, index) {
                return inPeriod.length && !inPeriod[index] ? lost : accent;
              }),
              borderRadius: 4,
              maxBarThickness: 28,
            },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                title: function (items) {
                  var index = items[0].dataIndex;
                  var within = inPeriod[index] ? " (" + data.period.toLowerCase() + ")" : "";
                  return "Week of " + items[0].label + within;
                },
              },
            },
          },
          scales: {
            x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
            y: { beginAtZero: true, ticks: { precision: 0 } },
          },
        },
      });
    }
  }

  function autosubmit() {
    var forms = document.querySelectorAll("form[data-autosubmit]:not([data-autosubmit-ready])");
    forms.forEach(function (form) {
      form.setAttribute("data-autosubmit-ready", "");
      var button = form.querySelector("[data-autosubmit-button]");
      if (button) button.classList.add("visually-hidden");
      form.addEventListener("change", function () {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    });
  }

  function start() {
    drawCharts();
    autosubmit();
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "dashboard") {
        destroyCharts(event.detail.target, true);
      }
    });
    document.body.addEventListener("htmx:load", function (event) {
      var element = event.detail.elt;
      if (element && element.id === "dashboard") {
        drawCharts();
        autosubmit();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
