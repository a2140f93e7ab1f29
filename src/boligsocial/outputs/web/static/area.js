/* boligsocial: the Område page. Every figure comes from /api/v1; this script only draws it.
   Loaded before app.js, whose helpers it uses when it runs. */
"use strict";

async function area() {
  const { layer, area_id: id } = CFG;
  const base = `/api/v1/layers/${layer}/areas/${encodeURIComponent(id)}`;
  const [m, profile, breakdown] = await Promise.all([meta(), api(`${base}/profile?lang=${CFG.lang}`),
    api(`${base}/breakdown`)]);
  const latest = profile.latest;
  document.getElementById("area-sub").textContent = `${T.layer}: ${nameOf("layer", layer)}` +
    (profile.area.kind ? ` · ${nameOf("kind", profile.area.kind)}` : "") +
    (profile.eligible ? "" : ` · ${T.indicative}`);
  document.getElementById("why").replaceChildren(...profile.sentences.map((s) => el("p", { text: s })));
  if (latest) criteriaTable(latest);
  forecastTable(profile.forecast);
  trafficStrips(profile.traffic_lights);
  barChart("chart-age", `${T.by_age} · ${T.data_year} ${breakdown.year}`,
    breakdown.age.map((a) => a.indicator.replace("age_", "").replace("_plus", "+").replace("_", "–")),
    breakdown.age.map((a) => a.persons));
  barChart("chart-housing", `${T.by_housing} · ${T.data_year} ${breakdown.year}`,
    breakdown.housing.map((h) => nameOf("housing", h.housing_type)), breakdown.housing.map((h) => h.persons));
  const topics = [...new Set(m.indicators.map((i) => i.topic))];
  const topic = document.getElementById("topic");
  options(topic, [["kriterier", T.criteria], ...topics.map((t) => [t, nameOf("topic", t)])], "kriterier");
  const draw = newest(async (current) => {
    const ids = topic.value === "kriterier" ? CRITERIA_INDICATORS
      : m.indicators.filter((i) => i.topic === topic.value).map((i) => i.id);
    const box = document.getElementById("series");
    box.replaceChildren(...ids.map((i) => el("div", { class: "chart", id: `chart-${i}` })));
    await Promise.all(ids.map(async (i) => {
      const series = await api(`${base}/series?indicator=${i}`);
      if (current()) seriesChart(`chart-${i}`, series);
    }));
  });
  topic.addEventListener("input", draw);
  await draw();
}

function criteriaTable(r) {
  document.getElementById("criteria-year").textContent = `(${T.list_year} ${r.list_year}, ${T.rule_set} ${r.rule_set})`;
  const rows = [["labour", "labour_share", "share"], ["crime", "crime_share", "share"],
    ["education", "education_share", "share"], ["income", "income_ratio", "share"],
    ["nonwestern", "nonwestern_share", "share"]];
  const names = { labour: "outside_labour_18_64", crime: "convicted_18plus", education: "low_education_30_59",
    income: "mean_income_15_64", nonwestern: "nonwestern_share" };
  const ind = Object.fromEntries(META.indicators.map((i) => [i.id, i]));
  document.getElementById("criteria").replaceChildren(
    el("tr", {}, ...[T.indicator, T.value, T.threshold, T.met, T.margin].map((h, i) =>
      el("th", { text: h, class: i ? "num" : "" }))),
    ...rows.map(([test, column, unit]) => {
      const persons = r[`${test}_margin_persons`], dkk = r[`${test}_margin_dkk`];
      const hidden = r[`${test}_state`] === "suppressed";
      const margin = hidden ? T.suppressed : `${fmt(r[`${test}_margin_pp`], "mean")} ${T.percent_points}` +
        (persons !== null && persons !== undefined ? ` / ${persons} ${T.persons}` : "") +
        (dkk !== null && dkk !== undefined ? ` / ${fmt(dkk, "dkk")}` : "");
      return el("tr", {}, el("td", { text: label(ind[names[test]]) }),
        el("td", { class: "num", text: hidden ? T.suppressed : fmt(r[column], unit) }),
        el("td", { class: "num", text: fmt(r[`${test}_threshold`], unit) }),
        el("td", { class: "num", text: hidden || r[`${test}_met`] === null ? "–" : r[`${test}_met`] ? T.yes : T.no }),
        el("td", { class: "num", text: margin }));
    }));
}

function forecastTable(rows) {
  const table = document.getElementById("forecast");
  if (!rows.length) { table.replaceChildren(el("tr", {}, el("td", { text: T.no_data }))); return; }
  const lists = ["udsat", "parallelsamfund", "omdannelse", "forebyggelse"];
  table.replaceChildren(el("tr", {}, el("th", { text: T.list_year }), ...lists.map((l) => el("th", { class: "num", text: T[`list_${l}`] })),
    el("th", { class: "num", text: T.forecast_labour })),
  ...rows.map((r) => r.state === "suppressed" ? el("tr", {}, el("td", { text: String(r.list_year) }),
    el("td", { colspan: String(lists.length + 1), text: T.suppressed })) : el("tr", {}, el("td", { text: String(r.list_year) }),
    ...lists.map((l) => el("td", { class: "num", text: fmt(r[`p_${l}`], "share", 0) })),
    el("td", { class: "num", text: `${fmt(r.labour_point, "share")} (${fmt(r.labour_low, "share")}–${fmt(r.labour_high, "share")})` }))));
}

function trafficStrips(rows) {
  const box = document.getElementById("traffic");
  const models = [...new Set(rows.map((r) => r.model))];
  box.replaceChildren(...models.flatMap((model) => [el("div", { class: "muted", text: `${T.model}: ${CFG.model_names[model] || model.replace(/_/g, " ")}` }),
    el("div", { class: "strip" }, ...rows.filter((r) => r.model === model).map((r) => {
      if (!r.colour) {  // hidden by the disclosure step (or not this housing association's area)
        const s = el("span", { text: String(r.year), title: T.suppressed, "data-reason": r.hidden_reason || "" });
        s.style.background = "repeating-linear-gradient(45deg,#888 0 3px,#fff 3px 6px)";
        return s;
      }
      const s = el("span", { text: String(r.year), title: `${T[`colour_${r.colour}`]}: ${r.reason}` });
      s.style.background = TRAFFIC[r.colour];
      return s;
    }))]));
}

function wrap(text, width = 48) {
  const words = text.split(" "), lines = [""];
  for (const w of words) {
    if ((lines[lines.length - 1] + " " + w).trim().length > width) lines.push(w);
    else lines[lines.length - 1] = (lines[lines.length - 1] + " " + w).trim();
  }
  return lines.join("<br>");
}

function barChart(id, title, x, y) {
  Plotly.newPlot(id, [{ type: "bar", x, y, marker: { color: "#21918c" } }],
    { ...CHART_LAYOUT, title: { text: title }, yaxis: { title: { text: T.persons } } }, CHART_CONFIG);
}

function seriesChart(id, s) {
  const unit = s.indicator.unit, scale = unit === "share" ? 100 : 1;
  const line = (points, name, color, dash) => ({ type: "scatter", mode: "lines+markers", name,
    x: points.map((p) => p.year), y: points.map((p) => (p.value === null ? null : p.value * scale)),
    line: { color, dash } });
  const traces = [line(s.area_series, s.area.name, "#0b5cad")];
  if (unit !== "count") {  // a count is not comparable with the municipality's total
    traces.push(line(s.municipality, T.municipality, "#555", "dot"));
    if (s.almen.length) traces.push(line(s.almen, T.almen_areas, "#E69F00", "dash"));
  }
  const years = s.area_series.map((p) => p.year);
  Plotly.newPlot(id, traces, { ...CHART_LAYOUT,
    title: { text: `${wrap(label(s.indicator))}<br><sub>${T.data_year} ${years[0]}–${years[years.length - 1]}</sub>` },
    xaxis: { title: { text: T.year }, dtick: 2 }, yaxis: { title: { text: unitText(unit) } } }, CHART_CONFIG);
}

window.BSM_PAGES = Object.assign(window.BSM_PAGES || {}, { area: area });
