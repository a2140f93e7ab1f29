/* boligsocial: the Oversigt page. Every figure comes from /api/v1; this script only draws it.
   Loaded before app.js, whose helpers it uses when it runs. */
"use strict";

async function overview() {
  const m = await meta();
  const layer = document.getElementById("layer"), mode = document.getElementById("mode");
  const indicator = document.getElementById("indicator"), year = document.getElementById("year");
  options(layer, m.layers.map((l) => [l.id, `${nameOf("layer", l.id)} (${l.areas})`]), "omraade");
  options(indicator, indicatorOptions(m), "outside_labour_18_64");
  year.min = m.data_years[0]; year.max = m.data_years[m.data_years.length - 1]; year.step = 1;
  year.value = year.max;
  const update = newest(async (current) => {
    document.getElementById("year-label").textContent = year.value;
    const downloads = document.getElementById("downloads");
    for (const a of document.querySelectorAll("#downloads a")) {  // exports follow the layer and year
      const one = a.dataset.fmt === "pdf" || a.dataset.fmt === "geojson" || a.dataset.fmt === "csv";
      const q = new URLSearchParams({ layer: layer.value });
      if (one) q.set("year", year.value);
      q.set("audience", downloads.dataset.audience);  // the file is for the viewer's own role, and says so
      a.href = `/api/v1/export/${a.dataset.fmt}?${q}`;
    }
    indicator.disabled = mode.value !== "indicator";
    const y = Number(year.value), listYear = y + 1;
    const geo = await api(`/api/v1/layers/${layer.value}/areas?year=${y}`);
    if (!current()) return;
    const svg = document.getElementById("map"), legend = document.getElementById("legend");
    const title = document.getElementById("map-title");
    const open = (id) => { window.location = `/omraade/${layer.value}/${encodeURIComponent(id)}`; };
    if (mode.value === "indicator") {
      const data = await api(`/api/v1/layers/${layer.value}/values?indicator=${indicator.value}&year=${y}`);
      if (!current()) return;
      const unit = data.indicator.unit, byId = Object.fromEntries(data.areas.map((a) => [a.area_id, a]));
      const breaks = quantileBreaks(data.areas.map((a) => a.value), SEQ.length);
      drawMap(svg, geo, (id) => {
        const a = byId[id];
        if (!a) return { fill: NO_DATA, state: "nodata", label: T.no_data };
        if (a.state === "suppressed" || a.state === "small")
          return { fill: "url(#hatch)", state: "suppressed", label: a.label || T.suppressed };
        if (!a || a.value === null) return { fill: NO_DATA, state: "nodata", label: T.no_data };
        return { fill: SEQ[classOf(a.value, breaks)], label: fmt(a.value, unit) + (a.state === "uncertain" ? ` (${T.uncertain})` : "") };
      }, open);
      title.textContent = `${label(data.indicator)} · ${T.data_year} ${y}`;
      const edges = [null, ...breaks, null];
      legendItems(legend, [
        ...SEQ.slice(0, breaks.length + 1).map((c, i) => [c,
          edges[i] === null ? `< ${fmt(edges[i + 1], unit)}` : edges[i + 1] === null ? `≥ ${fmt(edges[i], unit)}`
            : `${fmt(edges[i], unit)} – ${fmt(edges[i + 1], unit)}`]),
        [NO_DATA, T.no_data], ["", T.suppressed, true]],
        `${unitText(unit)} · ${T.municipality}: ${fmt(data.municipality && data.municipality.value, unit)}`);
    } else if (m.list_years.includes(listYear)) {
      const traffic = mode.value === "traffic";
      const rows = traffic
        ? await api(`/api/v1/traffic-lights?model=kriterier&layer=${layer.value}&year=${listYear}&lang=${CFG.lang}`)
        : await api(`/api/v1/lists?year=${listYear}&layer=${layer.value}`);
      if (!current()) return;
      const byId = Object.fromEntries(rows.map((r) => [r.area_id, r]));
      drawMap(svg, geo, (id) => {
        const r = byId[id];
        if (!r) return { fill: NO_DATA, state: "nodata", label: T.no_data };
        if (traffic) return { fill: TRAFFIC[r.colour], label: `${T[`colour_${r.colour}`]}: ${r.reason}` };
        const c = r.eligible ? categoryName(r.category) : `${categoryName(r.category)} (${T.indicative})`;
        return { fill: CATEGORY[r.category], label: c };
      }, open);
      title.textContent = `${traffic ? T.by_traffic : T.by_category} · ${T.list_year} ${listYear}`;
      legendItems(legend, traffic
        ? Object.entries(TRAFFIC).map(([k, c]) => [c, T[`colour_${k}`]])
        : Object.entries(CATEGORY).map(([k, c]) => [c, categoryName(k)]), "");
    } else {
      drawMap(svg, geo, () => ({ fill: NO_DATA, state: "nodata", label: T.no_data }), open);
      title.textContent = `${T.list_year} ${listYear}: ${T.no_data}`;
      legendItems(legend, [[NO_DATA, T.no_data]], "");
    }
    await watch(layer.value, listYear, m, current);
  });
  for (const c of [layer, mode, indicator, year]) c.addEventListener("input", update);
  await update();
}

async function watch(layer, listYear, m, current) {
  const table = document.getElementById("watch"), changes = document.getElementById("changes");
  document.getElementById("watch-year").textContent = `(${T.list_year} ${listYear})`;
  if (!m.list_years.includes(listYear)) { table.replaceChildren(); changes.replaceChildren(); return; }
  const rows = await api(`/api/v1/lists/watch?year=${listYear}&layer=${layer}`);
  if (!current()) return;
  table.replaceChildren(el("tr", {}, el("th", { text: T.area }), el("th", { text: T.category }),
    el("th", { text: T.criteria, class: "num" })),
  ...rows.map((r) => el("tr", {},
    el("td", {}, el("a", { href: `/omraade/${layer}/${encodeURIComponent(r.area_id)}`, text: r.name })),
    el("td", {}, badge(r.category, r.eligible), " ", r.colour ? trafficBadge(r.colour) : ""),
    el("td", { class: "num", text: String(r.criteria_met ?? "") }))));
  const changed = await api(`/api/v1/lists/changes?year=${listYear}&layer=${layer}`);
  if (!current()) return;
  changes.replaceChildren(...changed.map((r) => el("li", {},
    el("a", { href: `/omraade/${layer}/${encodeURIComponent(r.area_id)}`, text: r.name }),
    `: ${categoryName(r.category_before || "none")} → ${categoryName(r.category)}` +
    (r.changed ? `; ${r.previous ? T[`colour_${r.previous}`] : "–"} → ${T[`colour_${r.colour}`]}` : ""))));
  if (!changed.length) changes.append(el("li", { class: "muted", text: T.none }));
}

window.BSM_PAGES = Object.assign(window.BSM_PAGES || {}, { overview: overview });
