/* boligsocial: the Flytninger page. Every figure comes from /api/v1; this script only draws it.
   Loaded before app.js, whose helpers (api, el, fmt, options, meta, T) it uses when it runs. */
"use strict";

const MOVE_PARTS = [["stayers", "part_stayers", "#21918c"], ["in_movers", "part_in", "#D55E00"],
  ["out_movers", "part_out", "#E69F00"], ["ageing_in", "part_age_in", "#56B4E9"], ["ageing_out", "part_age_out", "#999999"]];

/* A published count: a small one by the label the API gives it (the viewer's policy's, e.g. "<10"),
   any other hidden one as not shown. */
function countText(value, state, label) {
  if (state === "small") return label || T.suppressed;
  if (state === "suppressed") return T.suppressed;
  return fmt(value, "count");
}

function shareText(value, state) {
  return state === "suppressed" ? T.suppressed : fmt(value, "share");
}

/* The area-weighted centroid of a feature's largest polygon (EPSG:25832 metres). */
function centroid(geometry) {
  const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null, largest = -1;
  for (const poly of polys) {
    const ring = poly[0];
    let a = 0, cx = 0, cy = 0;
    for (let i = 0; i < ring.length - 1; i++) {
      const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
      const c = x0 * y1 - x1 * y0;
      a += c; cx += (x0 + x1) * c; cy += (y0 + y1) * c;
    }
    if (Math.abs(a) > largest) { largest = Math.abs(a); best = [cx / (3 * a), cy / (3 * a)]; }
  }
  return best;
}

/* Arrows between area centroids on the SVG map, width by movers; curved so that the two
   directions between a pair of areas do not overlap. Outside-the-municipality flows stay in the table. */
function drawFlowArrows(svg, geo, rows, label) {
  const ns = "http://www.w3.org/2000/svg";
  const centre = Object.fromEntries(geo.features.map((f) => [f.properties.area_id, centroid(f.geometry)]));
  const shown = rows.filter((r) => r.state === "ok" && r.from !== r.to && centre[r.from] && centre[r.to]).slice(0, 30);
  const unit = (geo.bbox[2] - geo.bbox[0]) / 500;
  const max = Math.max(1, ...shown.map((r) => r.movers));
  const marker = document.createElementNS(ns, "marker");
  marker.setAttribute("id", "arrow");
  marker.setAttribute("viewBox", "0 0 10 10");
  marker.setAttribute("refX", "8"); marker.setAttribute("refY", "5");
  marker.setAttribute("markerWidth", "3"); marker.setAttribute("markerHeight", "3");
  marker.setAttribute("orient", "auto-start-reverse");
  marker.innerHTML = '<path d="M0,0 L10,5 L0,10 z" fill="#3b528b"/>';
  svg.querySelector("defs").append(marker);
  const tip = document.getElementById("tooltip");
  for (const r of shown) {
    const [x0, y0] = centre[r.from], [x1, y1] = centre[r.to];
    const mx = (x0 + x1) / 2, my = (y0 + y1) / 2, dx = x1 - x0, dy = y1 - y0;
    const cx = mx - dy * 0.2, cy = my + dx * 0.2;  // bend to the left of the direction of travel
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", `M${x0},${-y0} Q${cx},${-cy} ${x1},${-y1}`);
    path.setAttribute("class", "flow");
    path.setAttribute("stroke-width", String(unit * (1 + 5 * (r.movers / max))));
    path.setAttribute("marker-end", "url(#arrow)");
    path.addEventListener("mousemove", (e) => {
      tip.hidden = false;
      tip.replaceChildren(el("strong", { text: `${label(r.from)} → ${label(r.to)}` }), el("br"), `${fmt(r.movers, "count")} ${T.movers.toLowerCase()}`);
      tip.style.left = e.clientX + 14 + "px"; tip.style.top = e.clientY + 10 + "px";
    });
    path.addEventListener("mouseleave", () => { tip.hidden = true; });
    svg.append(path);
  }
  return shown.length;
}

async function movesPage() {
  const m = await meta();
  const ids = (name) => document.getElementById(name);
  const [layer, by, from, to, trait, housing, areaSel, onlyArea, criterion] =
    ["layer", "by", "from", "to", "trait", "housing", "area", "only-area", "criterion"].map(ids);
  const moveYears = m.data_years.slice(1);
  options(from, moveYears.map((y) => [y, y]), moveYears[Math.max(0, moveYears.length - 5)]);
  options(to, moveYears.map((y) => [y, y]), moveYears[moveYears.length - 1]);
  options(layer, m.layers.map((l) => [l.id, nameOf("layer", l.id)]), "omraade");
  let names = {};
  const label = (id) => (id === "" ? T.outside : names[id] || T[`housing_${id}`] || T[`kind_${id}`] || id);

  let geo = null;
  // each redraw is newest(): an answer to an older choice never overwrites a newer one (app.js)
  const loadAreas = newest(async (current) => {
    const got = await api(`/api/v1/layers/${encodeURIComponent(layer.value)}/areas`);
    if (!current()) return false;
    geo = got;
    names = Object.fromEntries(geo.features.map((f) => [f.properties.area_id, f.properties.name]));
    const almen = geo.features.filter((f) => f.properties.kind === "almen").map((f) => f.properties.area_id);
    const keep = names[areaSel.value] ? areaSel.value : almen[0] || geo.features[0]?.properties.area_id;
    options(areaSel, geo.features.map((f) => [f.properties.area_id, f.properties.name]), keep);
    return true;
  });

  const drawFlows = newest(async (current) => {
    const q = new URLSearchParams({ by: by.value, layer: layer.value, year_from: from.value, year_to: to.value });
    if (trait.value) q.set("trait", trait.value);
    if (housing.value) q.set("housing_type", housing.value);
    if (onlyArea.checked) q.set("area", areaSel.value);
    const rows = await api(`/api/v1/moves/flows?${q}`);
    if (!current()) return;
    const shown = rows.filter((r) => r.state === "ok" && r.from !== r.to).slice(0, 40);
    const nodes = [...new Set(shown.flatMap((r) => [`a:${r.from}`, `b:${r.to}`]))];
    const index = Object.fromEntries(nodes.map((n, i) => [n, i]));
    const what = trait.value ? T[`trait_${trait.value}`] : T.movers;
    // Plotly's Sankey fails on no links (every flow hidden for this role, or none): an empty chart
    const title = { text: `${T.moves} ${from.value}–${to.value}<br><sub>${what}, ${T.largest_flows}</sub>` };
    if (!shown.length) Plotly.react("sankey", [], { ...CHART_LAYOUT, height: 480, title,
      xaxis: { visible: false }, yaxis: { visible: false },
      annotations: [{ text: T.none, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }] }, CHART_CONFIG);
    else Plotly.react("sankey", [{ type: "sankey", orientation: "h",
      node: { label: nodes.map((n) => label(n.slice(2))), pad: 8, thickness: 14, color: "#21918c" },
      link: { source: shown.map((r) => index[`a:${r.from}`]), target: shown.map((r) => index[`b:${r.to}`]),
        value: shown.map((r) => r.movers), color: "rgba(59,82,139,0.35)" } }],
      { ...CHART_LAYOUT, height: 480, title }, CHART_CONFIG);
    ids("sankey").dataset.links = String(shown.length);
    const map = ids("flowmap");
    drawMap(map, geo, (id) => ({ fill: onlyArea.checked && id === areaSel.value ? "#fde0c5" : "#eeeeee", label: "" }),
      async (id) => { areaSel.value = id; if (onlyArea.checked) await drawFlows(); await drawArea(); });
    const arrows = by.value === "area" ? drawFlowArrows(map, geo, rows, label) : 0;
    ids("flowmap-note").textContent = by.value === "area" ? `${arrows} ${T.flowmap_note}` : T.flowmap_areas_only;
    const od = ids("od");
    od.replaceChildren(el("tr", {}, el("th", { text: T.from_place }), el("th", { text: T.to_place }),
      el("th", { class: "num", text: what })),
      ...rows.slice(0, 60).map((r) => el("tr", {}, el("td", { text: label(r.from) }), el("td", { text: label(r.to) }),
        el("td", { class: "num", text: countText(r.movers, r.state, r.label) }))));
    if (!rows.length) od.append(el("tr", {}, el("td", { class: "muted", text: T.none })));
  });

  const drawArea = newest(async (current) => {
    const area = encodeURIComponent(areaSel.value), lay = encodeURIComponent(layer.value);
    const a = await api(`/api/v1/layers/${lay}/areas/${area}/moves`);
    if (!current()) return;
    const crit = criterion.value;
    const dec = a.decomposition.filter((d) => d.criterion === crit);
    const scale = crit === "income" ? 1 : 100;  // kroner, or shares in percentage points
    Plotly.react("decomposition", [...MOVE_PARTS.map(([key, name, color]) => ({ type: "bar", name: T[name],
      x: dec.map((d) => d.year), y: dec.map((d) => (d[key] === null ? null : scale * d[key])), marker: { color } })),
    { type: "scatter", mode: "markers", name: T.total, x: dec.map((d) => d.year),
      y: dec.map((d) => (d.change === null ? null : scale * d.change)), marker: { color: "#000", symbol: "diamond" } }],
    { ...CHART_LAYOUT, height: 480, barmode: "relative",
      title: { text: `${T.decomposition_of} ${T[`criterion_${crit}`]}: ${a.area.name}`
        + (dec.length && dec.every((d) => d.state === "suppressed" && d.reason === "differencing") ? ` (${T.decomposition_hidden})` : "") },
      xaxis: { title: { text: T.year } }, yaxis: { title: { text: crit === "income" ? T.dkk : T.percent_points_short } } },
    CHART_CONFIG);
    ids("tallies").replaceChildren(
      el("tr", {}, ...[T.year, T.group_in, T.group_out, T.net_migration, T.turnover, T.births, T.ended].map((h) => el("th", { text: h }))),
      ...a.tallies.map((t) => el("tr", {}, el("td", { text: String(t.year) }),
        el("td", { class: "num", text: t.in_total === null ? T.suppressed : fmt(t.in_total, "count") }),
        el("td", { class: "num", text: t.out_total === null ? T.suppressed : fmt(t.out_total, "count") }),
        el("td", { class: "num", text: t.net === null ? T.suppressed : (t.net > 0 ? "+" : "") + fmt(t.net, "count") }),
        el("td", { class: "num", text: shareText(t.turnover, t.turnover_state) }),
        el("td", { class: "num", text: countText(t.births, t.births_state, t.births_label) }),
        el("td", { class: "num", text: countText(t.ended, t.ended_state, t.ended_label) }))));
    const last = Math.max(...a.profiles.map((p) => p.year));
    ids("profile-year").textContent = `(${a.area.name}, ${T.data_year} ${last})`;
    ids("profiles").replaceChildren(
      el("tr", {}, ...["", T.persons, T.profile_labour, T.profile_education, T.profile_income, T.profile_nonwestern, T.profile_age]
        .map((h) => el("th", { text: h }))),
      ...a.profiles.filter((p) => p.year === last).map((p) => el("tr", {},
        el("td", { text: T[`group_${p.group}`] }),
        el("td", { class: "num", text: countText(p.persons, p.state, p.label) }),
        el("td", { class: "num", text: shareText(p.labour, p.labour_state) }),
        el("td", { class: "num", text: shareText(p.education, p.education_state) }),
        el("td", { class: "num", text: p.income_state === "suppressed" ? T.suppressed : fmt(p.income, "dkk") }),
        el("td", { class: "num", text: shareText(p.nonwestern, p.nonwestern_state) }),
        el("td", { class: "num", text: fmt(p.mean_age, "mean") }))));
    const dcrit = crit === "income" ? "labour" : crit;  // displacement is for share criteria
    ids("displacement-title").textContent = `${T.displacement} (${T[`criterion_${dcrit}`]})`;
    const q = new URLSearchParams({ year_from: from.value, year_to: to.value, criterion: dcrit });
    const moved = await api(`/api/v1/layers/${lay}/areas/${area}/displacement?${q}`);
    if (!current()) return;
    const top = moved.filter((r) => r.movers_state === "ok").sort((x, y) => (y.impact_pp ?? -1) - (x.impact_pp ?? -1)).slice(0, 12);
    const table = ids("displacement");
    table.replaceChildren(
      el("tr", {}, ...[T.year, T.area, T.movers, T[`criterion_${dcrit}`], T.impact].map((h) => el("th", { text: h }))),
      ...top.map((r) => el("tr", {}, el("td", { text: String(r.year) }), el("td", { text: r.to_name }),
        el("td", { class: "num", text: fmt(r.movers, "count") }),
        el("td", { class: "num", text: shareText(r.trait_share, r.trait_state) }),
        el("td", { class: "num", text: r.impact_pp === null ? "–" : `${fmt(r.impact_pp, "mean", 2)} ${T.percent_points_short}${r.material ? " ⚠" : ""}` }))));
    if (!top.length) table.append(el("tr", {}, el("td", { class: "muted", text: T.none })));
  });

  const update = async () => { await drawFlows(); await drawArea(); };
  layer.addEventListener("input", async () => { if (await loadAreas()) await update(); });
  for (const c of [by, from, to, trait, housing, onlyArea]) c.addEventListener("input", drawFlows);
  areaSel.addEventListener("input", async () => { if (onlyArea.checked) await drawFlows(); await drawArea(); });
  criterion.addEventListener("input", drawArea);
  await loadAreas();
  await update();
}

window.BSM_PAGES = Object.assign(window.BSM_PAGES || {}, { moves: movesPage });
