/* boligsocial: the Lister page. Every figure comes from /api/v1; this script only draws it.
   Loaded before app.js, whose helpers it uses when it runs. */
"use strict";

async function lists() {
  const m = await meta();
  const layer = document.getElementById("layer"), year = document.getElementById("year");
  options(layer, m.layers.map((l) => [l.id, nameOf("layer", l.id)]), "omraade");
  options(year, [...m.list_years].reverse().map((y) => [y, y]), m.list_years[m.list_years.length - 1]);
  const update = newest(async (current) => {
    const y = Number(year.value);
    const rows = await api(`/api/v1/lists?year=${y}&layer=${layer.value}`);
    const geo = await api(`/api/v1/layers/${layer.value}/areas?year=${Math.min(y - 1, m.data_years[m.data_years.length - 1])}`);
    if (!current()) return;
    const byId = Object.fromEntries(rows.map((r) => [r.area_id, r]));
    document.getElementById("rule-set").textContent = rows.length ? `${T.rule_set}: ${rows[0].rule_set}` : "";
    drawMap(document.getElementById("map"), geo, (id) => {
      const r = byId[id];
      return r ? { fill: CATEGORY[r.category], label: categoryName(r.category) + (r.eligible ? "" : ` (${T.indicative})`) }
        : { fill: NO_DATA, state: "nodata", label: T.no_data };
    }, (id) => { window.location = `/omraade/${layer.value}/${encodeURIComponent(id)}`; });
    document.getElementById("map-title").textContent = `${T.by_category} · ${T.list_year} ${y}`;
    legendItems(document.getElementById("legend"), Object.entries(CATEGORY).map(([k, c]) => [c, categoryName(k)]), "* " + T.indicative);
    rows.sort((a, b) => (b.eligible - a.eligible) || (b.criteria_met ?? 0) - (a.criteria_met ?? 0));
    const cols = [["name", T.area], ["residents", T.residents], ["labour_share", T.col_labour], ["crime_ratio", T.col_crime],
      ["education_share", T.col_education], ["income_ratio", T.col_income], ["nonwestern_share", T.col_nonwestern],
      ["criteria_met", T.criteria], ["category", T.category]];
    document.getElementById("table").replaceChildren(el("tr", {}, ...cols.map(([, h]) => el("th", { text: h }))),
      ...rows.map((r) => el("tr", {}, ...cols.map(([k]) => {
        if (k === "name") return el("td", {}, el("a", { href: `/omraade/${layer.value}/${encodeURIComponent(r.area_id)}`, text: r.name }));
        if (k === "category") return el("td", {}, badge(r.category, r.eligible));
        if (k === "residents" && r.residents === null && r.residents_label)  // a small count, by the API's label
          return el("td", { class: "num", text: r.residents_label });
        const unit = k === "residents" || k === "criteria_met" ? "count" : k === "crime_ratio" ? "mean" : "share";
        return el("td", { class: "num", text: fmt(r[k], unit, k === "crime_ratio" ? 2 : undefined) });
      }))));
    const dis = await api("/api/v1/lists/disagreements");
    if (!current()) return;
    const table = document.getElementById("disagreements");
    table.replaceChildren(el("tr", {}, ...[T.list_year, T.area, T.lists, T.official, T.computed].map((h) => el("th", { text: h }))),
      ...dis.map((d) => el("tr", {}, el("td", { text: String(d.list_year) }), el("td", { text: d.name }),
        el("td", { text: categoryName(d.list) }), el("td", { text: d.official ? T.yes : T.no }),
        el("td", { text: d.computed ? T.yes : T.no }))));
    if (!dis.length) table.append(el("tr", {}, el("td", { class: "muted", text: T.none })));
  });
  for (const c of [layer, year]) c.addEventListener("input", update);
  await update();
}

// pages with a script of their own (e.g. moves.js) register themselves in window.BSM_PAGES

window.BSM_PAGES = Object.assign(window.BSM_PAGES || {}, { lists: lists });
