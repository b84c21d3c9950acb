/*
 * The dashboard's charts (Chart.js, vendored): pipeline value by stage and new contacts per
 * week. The figures come from the page as JSON (json_script "dashboard-data"); colours come
 * from the stylesheet's custom properties, so dark mode follows. Also submits the pipeline
 * switcher when its select changes (the button stays for no-JS use).
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

  function drawCharts() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") return;
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
      new Chart(contactsCanvas, {
        type: "bar",
        data: {
          labels: data.newContacts.labels.map(shortDate),
          datasets: [
            {
              label: "New contacts",
              data: data.newContacts.counts,
              backgroundColor: accent,
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
                  return "Week of " + items[0].label;
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
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
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
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
