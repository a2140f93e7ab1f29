/* boligsocial: the Sammenlign page. Every figure comes from /api/v1; this script only draws it.
   Loaded before app.js, whose helpers it uses when it runs. */
"use strict";

async function compare() {
  const m = await meta();
  const layer = document.getElementById("layer"), indicator = document.getElementById("indicator");
  const year = document.getElementById("year"), areas = document.getElementById("areas");
  options(layer, m.layers.map((l) => [l.id, nameOf("layer", l.id)]), "omraade");
  options(indicator, indicatorOptions(m), "outside_labour_18_64");
  options(year, m.data_years.map((y) => [y, y]).reverse(), m.data_years[m.data_years.length - 1]);
  let sortKey = "value", descending = true, rows = [];
  const table = document.getElementById("table");
  const render = (unit) => {
    const sorted = [...rows].sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      const c = x === null ? 1 : y === null ? -1 : x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    const head = [["name", T.area], ["value", T.value], ["numerator", T.numerator], ["denominator", T.denominator]];
    table.replaceChildren(el("tr", {}, ...head.map(([k, h]) => {
      const th = el("th", { text: h + (k === sortKey ? (descending ? " ▼" : " ▲") : ""), class: k === "name" ? "" : "num" });
      th.dataset.key = k;
      th.addEventListener("click", () => { descending = k === sortKey ? !descending : true; sortKey = k; render(unit); });
      return th;
    })), ...sorted.map((r) => el("tr", {},
      el("td", {}, el("a", { href: `/omraade/${layer.value}/${encodeURIComponent(r.area_id)}`, text: r.name })),
      el("td", { class: "num", text: r.state === "suppressed" ? T.suppressed : r.state === "small" ? r.label : fmt(r.value, unit) }),
      el("td", { class: "num", text: fmt(r.numerator, "count") }),
      el("td", { class: "num", text: fmt(r.denominator, "count") }))));
  };
  const update = newest(async (current) => {
    const q = `indicator=${indicator.value}&year=${year.value}`;
    const data = await api(`/api/v1/layers/${layer.value}/values?${q}`);
    if (!current()) return;
    rows = data.areas;
    const csv = document.getElementById("csv");
    csv.href = `/api/v1/layers/${layer.value}/values.csv?${q}`;
    csv.hidden = !CFG.may_export;
    if (!areas.options.length || areas.dataset.layer !== layer.value) {
      const almen = rows.filter((r) => r.kind === "almen").slice(0, 2).map((r) => r.area_id);
      options(areas, rows.map((r) => [r.area_id, r.name]));
      for (const o of areas.options) o.selected = almen.includes(o.value);
      areas.dataset.layer = layer.value;
    }
    render(data.indicator.unit);
    const chosen = [...areas.selectedOptions].map((o) => o.value);
    const series = await Promise.all(chosen.map((id) =>
      api(`/api/v1/layers/${layer.value}/areas/${encodeURIComponent(id)}/series?indicator=${indicator.value}`)));
    if (!current()) return;
    const scale = data.indicator.unit === "share" ? 100 : 1;
    const traces = series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.area.name,
      x: s.area_series.map((p) => p.year), y: s.area_series.map((p) => (p.value === null ? null : p.value * scale)) }));
    if (series.length) traces.push({ type: "scatter", mode: "lines", name: T.municipality, line: { dash: "dot", color: "#555" },
      x: series[0].municipality.map((p) => p.year), y: series[0].municipality.map((p) => p.value * scale) });
    Plotly.react("compare-chart", traces, { ...CHART_LAYOUT, height: 340,
      title: { text: `${label(data.indicator)} · ${T.data_year} ${m.data_years[0]}–${m.data_years[m.data_years.length - 1]}` },
      xaxis: { title: { text: T.year } }, yaxis: { title: { text: unitText(data.indicator.unit) } } }, CHART_CONFIG);
  });
  for (const c of [layer, indicator, year, areas]) c.addEventListener("input", update);
  await update();
}

window.BSM_PAGES = Object.assign(window.BSM_PAGES || {}, { compare: compare });
